# MetricBench — the two front doors are `make ablation` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
BIN := .build/release/metricbench
APT_PACKAGES := libopenblas-dev zlib1g-dev dataset-fashion-mnist
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
# OpenBLAS picks its kernels by CPU detection; pinning the core type keeps
# numbers comparable across runs on this kind of machine.
export OPENBLAS_CORETYPE ?= Haswell
# Runs trained at once by `make ablation` (the BLAS threads are divided among them).
JOBS ?= 2

.PHONY: deps build test ablation paper bench slurm-test fuzz clean

deps:
	@missing=""; \
	pkg-config --exists openblas || missing="$$missing libopenblas-dev"; \
	pkg-config --exists zlib || missing="$$missing zlib1g-dev"; \
	[ -f $(FASHION) ] || missing="$$missing dataset-fashion-mnist"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "MetricBench needs:$$missing"; \
	    echo "install them with: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build -c release --product metricbench

test: deps
	$(SWIFT) test
	$(SWIFT) build --product metricbench
	scripts/kill-resume-test.sh .build/debug/metricbench
	scripts/score-guard-test.sh .build/debug/metricbench
	scripts/hostile-input-test.sh .build/debug/metricbench

ablation: build
	$(BIN) run experiments/ablation.yaml --out results/ablation --jobs $(JOBS)

# A real single-node Slurm cluster on loopback (installs slurm-wlm and munge; needs root).
slurm-test: deps
	scripts/slurm-test.sh

# The paper reproductions (headers of each file: what it reproduces, runs, time).
PAPER := facenet-embedding-dim facenet-embedding-dim-synthetic \
         facenet-heuristics facenet-heuristics-synthetic \
         lse-embedding-size lse-embedding-size-synthetic \
         lse-exact-vs-smooth lse-exact-vs-smooth-synthetic

paper: build
	@set -e; for x in $(PAPER); do \
	  echo "== $$x"; \
	  $(BIN) run experiments/$$x.yaml --out results/$$x --jobs $(JOBS); \
	done

# libFuzzer on the readers of untrusted input (Fuzz/): FUZZ_SECONDS per target.
# Leak checks are off: Foundation keeps caches that LeakSanitizer reports at exit.
# The corpus grows in .build-fuzz/corpus; a crash stops the target and is written
# to .build-fuzz/artifacts/<target>/ — keep it in Tests/ExperimentHarnessTests/FuzzRegressions/<target>/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := FuzzSpec FuzzNPY FuzzIDX FuzzCSV
FUZZ_REGRESSIONS := Tests/ExperimentHarnessTests/FuzzRegressions

fuzz: deps
	cd Fuzz && $(SWIFT) build --scratch-path ../.build-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld 2>&1 | grep -v "Cannot export local symbol" ; exit $${PIPESTATUS[0]}
	@set -eo pipefail; for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build-fuzz/corpus/$$t .build-fuzz/artifacts/$$t; \
	  echo "== $$t: $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=detect_leaks=0 .build-fuzz/debug/$$t .build-fuzz/corpus/$$t Fuzz/Seeds/$$t $(FUZZ_REGRESSIONS)/$$t \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 \
	    -artifact_prefix=.build-fuzz/artifacts/$$t/ 2>&1 | grep -E "^(stat::|==|SUMMARY|artifact_prefix|Done|Fatal error)" ; \
	done

bench: build
	OPENBLAS_NUM_THREADS=2 $(BIN) bench

clean:
	rm -rf .build
