# MetricBench — the two front doors are `make ablation` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
BIN := .build/release/metricbench
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
# The CJK typefaces of the glyphs dataset (Debian 12 names; each draws thousands
# of Han characters). Deduplication counts a design once, so packages that only
# add weights or regional variants cost disk, not classes.
FONT_PACKAGES := fonts-arphic-ukai fonts-arphic-uming fonts-arphic-bkai00mp fonts-arphic-bsmi00lp \
  fonts-arphic-gbsn00lp fonts-arphic-gkai00mp fonts-cwtex-fs fonts-cwtex-heib fonts-cwtex-kai \
  fonts-cwtex-ming fonts-cwtex-yen fonts-noto-cjk fonts-noto-cjk-extra fonts-wqy-microhei \
  fonts-wqy-zenhei fonts-ipafont-gothic fonts-ipafont-mincho fonts-ipaexfont-gothic \
  fonts-ipaexfont-mincho fonts-ipamj-mincho fonts-lxgw-wenkai fonts-klee fonts-kiloji \
  fonts-horai-umefont fonts-hanazono fonts-babelstone-han fonts-cns11643-kai fonts-cns11643-sung \
  fonts-takao-gothic fonts-takao-mincho fonts-vlgothic fonts-seto fonts-kouzan-mouhitsu \
  fonts-aoyagi-soseki fonts-aoyagi-kouzan-t fonts-smiley-sans fonts-droid-fallback \
  fonts-motoya-l-cedar fonts-motoya-l-maruberi fonts-sawarabi-mincho fonts-sawarabi-gothic
# The few small font packages the glyph tests use (CI installs only these).
TEST_FONT_PACKAGES := fonts-arphic-gkai00mp fonts-wqy-microhei fonts-ipaexfont-gothic \
  fonts-ipaexfont-mincho fonts-vlgothic
# OpenBLAS picks its kernels by CPU detection; pinning the core type keeps
# numbers comparable across runs on this kind of machine.
export OPENBLAS_CORETYPE ?= Haswell
# Runs trained at once by `make ablation` (the BLAS threads are divided among them).
JOBS ?= 2
# Where `make ablation` and `make paper` train: a git-ignored working folder per
# experiment, so an interrupted run resumes there. `make clean` removes it too.
WORK ?= .build/results
# PUBLISH=1: after the comparison, copy the new runs and reports over results/<name>
# (after an intended change of the code; then commit them).
PUBLISH ?=

.PHONY: deps build-deps test-fonts build test ablation paper paper-glyphs fair bench bench-compare slurm-test fuzz check-arm64 clean

# Everything: the build's libraries, Fashion-MNIST and the CJK fonts of the glyphs dataset.
deps: build-deps
	@$(MAKE) --no-print-directory _apt PACKAGES="$(FONT_PACKAGES)"

# What building and testing need: the libraries, Fashion-MNIST and the small test fonts.
build-deps:
	@missing=""; \
	pkg-config --exists openblas || missing="$$missing libopenblas-dev"; \
	pkg-config --exists zlib || missing="$$missing zlib1g-dev"; \
	pkg-config --exists freetype2 || missing="$$missing libfreetype-dev"; \
	pkg-config --exists fontconfig || missing="$$missing libfontconfig-dev"; \
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

# The glyph tests' fonts: installed when root, otherwise the tests that need them are skipped.
test-fonts:
	@$(MAKE) --no-print-directory _apt PACKAGES="$(TEST_FONT_PACKAGES)" OPTIONAL=1

# Installs the Debian packages of $(PACKAGES) that are not installed (root), or
# prints the apt-get line (and fails unless OPTIONAL is set).
_apt:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "the glyphs dataset needs:$$missing"; \
	    echo "install them with: sudo apt-get install -y --no-install-recommends$$missing"; \
	    [ -n "$(OPTIONAL)" ] || exit 1; \
	  fi; \
	fi

build: build-deps
	$(SWIFT) build -c release --product metricbench

test: build-deps test-fonts
	$(SWIFT) test
	$(SWIFT) build --product metricbench
	scripts/kill-resume-test.sh .build/debug/metricbench
	scripts/fair-kill-resume-test.sh .build/debug/metricbench
	scripts/score-guard-test.sh .build/debug/metricbench
	scripts/hostile-input-test.sh .build/debug/metricbench
	python3 scripts/check-results-readme.py > /dev/null || python3 scripts/check-results-readme.py

# Trains all 105 runs into $(WORK)/ablation, then compares them with the committed
# results/ablation and ends with one verdict line (scripts/reproduce.sh).
ablation: build
	@JOBS=$(JOBS) PUBLISH=$(PUBLISH) scripts/reproduce.sh $(BIN) $(WORK) ablation

# A real single-node Slurm cluster on loopback (installs slurm-wlm and munge; needs root).
slurm-test: build-deps test-fonts
	scripts/slurm-test.sh

# The paper reproductions (headers of each file: what it reproduces, runs, time).
PAPER := facenet-embedding-dim facenet-embedding-dim-synthetic \
         facenet-heuristics facenet-heuristics-synthetic \
         lse-embedding-size lse-embedding-size-synthetic \
         lse-exact-vs-smooth lse-exact-vs-smooth-synthetic

# Each into $(WORK)/<name>, each compared with results/<name>; one verdict line per
# experiment, then one for all.
paper: build
	@JOBS=$(JOBS) PUBLISH=$(PUBLISH) scripts/reproduce.sh $(BIN) $(WORK) $(PAPER)

# The papers' questions re-asked under the fair protocol (issue 14: equal tuning budgets on
# class-disjoint validation folds, the test split read once), with the hand-tuned twin of the
# loss × mining table; about 20-30 min on 2 cores. Each into $(WORK)/<name>; PUBLISH=1 publishes.
FAIR := fair-losses-hand fair-losses fair-lse-exact-vs-smooth fair-facenet-heuristics

fair: build
	@JOBS=$(JOBS) PUBLISH=$(PUBLISH) scripts/reproduce.sh $(BIN) $(WORK) $(FAIR)

# The same reproductions on the glyphs dataset (needs the CJK fonts of `make deps`).
PAPER_GLYPHS := facenet-embedding-dim-glyphs facenet-heuristics-glyphs \
                lse-embedding-size-glyphs lse-exact-vs-smooth-glyphs \
                facenet-embedding-dim-glyphs-convnet lse-embedding-size-glyphs-convnet \
                lse-exact-vs-smooth-glyphs-convnet facenet-heuristics-glyphs-convnet

paper-glyphs: deps build
	@JOBS=$(JOBS) PUBLISH=$(PUBLISH) scripts/reproduce.sh $(BIN) $(WORK) $(PAPER_GLYPHS)

# The C kernels (every ISA-specific path of the project lives there, behind run-time
# CPU detection) compiled for arm64 with the toolchain's clang and Debian's arm64 libc
# headers: the x86 intrinsics must stay behind their #ifdefs. The Swift side's
# `#if arch(x86_64)` branches are not checked here (no arm64 Swift SDK on this machine).
CLANG ?= clang
check-arm64:
	@$(MAKE) --no-print-directory _apt PACKAGES="libc6-dev-arm64-cross"
	@for f in Sources/CKernels/*.c; do \
	  $(CLANG) --target=aarch64-linux-gnu --sysroot=/usr/aarch64-linux-gnu -isystem /usr/aarch64-linux-gnu/include \
	    -O2 -Wall -Werror -ISources/CKernels/include -c -o /dev/null $$f || exit 1; \
	done; echo "check-arm64: the C kernels compile for aarch64"

# libFuzzer on the readers of untrusted input (Fuzz/): FUZZ_SECONDS per target.
# Leak checks are off: Foundation keeps caches that LeakSanitizer reports at exit.
# The corpus grows in .build-fuzz/corpus; a crash stops the target and is written
# to .build-fuzz/artifacts/<target>/ — keep it in Tests/ExperimentHarnessTests/FuzzRegressions/<target>/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := FuzzSpec FuzzNPY FuzzIDX FuzzCSV
FUZZ_REGRESSIONS := Tests/ExperimentHarnessTests/FuzzRegressions

fuzz: build-deps
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

# MetricBench against PyTorch + pytorch-metric-learning on the same training rows,
# interleaved (ROUNDS=3), into benchmarks/<date>-bench-compare/ (table + raw JSON).
# Installs torch and PML into .build/venv-bench on first use; not part of test or CI.
bench-compare: build
	BIN=$(BIN) benchmarks/bench_compare.sh

clean:
	rm -rf .build
