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
# Where `make ablation` and `make paper` train: a git-ignored working folder per
# experiment, so an interrupted run resumes there. `make clean` removes it too.
WORK ?= .build/results
# PUBLISH=1: after the comparison, copy the new runs and reports over results/<name>
# (after an intended change of the code; then commit them).
PUBLISH ?=

.PHONY: deps build test ablation paper bench slurm-test clean

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

# Trains all 105 runs into $(WORK)/ablation, then compares them with the committed
# results/ablation and ends with one verdict line (scripts/reproduce.sh).
ablation: build
	@JOBS=$(JOBS) PUBLISH=$(PUBLISH) scripts/reproduce.sh $(BIN) $(WORK) ablation

# A real single-node Slurm cluster on loopback (installs slurm-wlm and munge; needs root).
slurm-test: deps
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

bench: build
	OPENBLAS_NUM_THREADS=2 $(BIN) bench

clean:
	rm -rf .build
