#!/usr/bin/env bash
# `make bench-compare`: MetricBench's training rows against PyTorch +
# pytorch-metric-learning on the same rows, interleaved, on this machine.
#
#   benchmarks/bench_compare.sh            (after `make build`)
#
# Per round (ROUNDS, default 3): `metricbench bench --only train --json` on the
# rows below (cold: from the initialisation at learning rate 1e-6), the same
# binary on WARM_ROWS with --warm (after 200 real steps at Adam's 1e-3), then
# benchmarks/pml_bench.py --row on the same rows (PyTorch at lr 1e-3 after a
# warm-up; its WARM_ROWS also after 200 steps). Rounds alternate the two
# sides so that load from other processes hits both alike; the table takes
# medians over rounds. Writes OUT (default benchmarks/<UTC date>-bench-compare/):
# the raw JSON of every run, machine.json (CPU, cores, library versions, date)
# and README.md (the table, from benchmarks/bench_compare_table.py).
#
# PyTorch and PML live in their own virtual environment VENV (default
# .build/venv-bench, created on first use; git-ignored like all of .build):
# torch from a local wheel in WHEELS (default /opt/wheels) when there is one,
# else from PyPI; pytorch-metric-learning from PyPI. Not part of `make test`
# or CI: it needs the network once and takes 20–30 minutes on 2 cores.
#
# BASE_BIN (optional): another metricbench build, also run on the cold rows each
# round (ours-base-*.json), for a before/after column of the fraction of the GEMM limit.
#
# Environment: BIN, BASE_BIN, ROUNDS, THREADS (default 2), OUT, VENV, WHEELS, SECONDS_PER_ROW
# (PyTorch's timed seconds per row, default 2), ROWS / WARM_ROWS (space-separated
# LOSS/MINING/BATCH/EMBEDDING[/MODEL] names, as `metricbench bench --train`).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/release/metricbench}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
VENV=${VENV:-.build/venv-bench}
WHEELS=${WHEELS:-/opt/wheels}
SECONDS_PER_ROW=${SECONDS_PER_ROW:-2}
OUT=${OUT:-benchmarks/$(date -u +%F)-bench-compare}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}

[ -x "$BIN" ] || { echo "bench_compare.sh: $BIN is not built; run make build first" >&2; exit 2; }

# The MLP 784-512-E rows: every loss with its plain mining (and triplet's three
# minings) at batch 128, 256 and 1024, and the 512-dimensional embedding.
if [ -z "${ROWS:-}" ]; then
  LOSSES="contrastive/all triplet/semihard triplet/all triplet/hard lifted/all multi-similarity/all margin/all
          ntxent/all supcon/all circle/all proxy-nca/all proxy-anchor/all normalized-softmax/all arcface/all cosface/all"
  ROWS=""
  for b in 128 256 1024; do for l in $LOSSES; do ROWS="$ROWS $l/$b/128"; done; done
  ROWS="$ROWS triplet/semihard/128/512"
  # The convnet rows, where this build has them (`--train .../convnet`, 28×28, and `/convnet32`, 32×32).
  if "$BIN" bench --help 2>&1 | grep -q convnet32; then
    for b in 128 256; do ROWS="$ROWS triplet/semihard/$b/128/convnet triplet/semihard/$b/128/convnet32"; done
  fi
fi
# Warm rows: where the mining depends on how far training has spread the embeddings.
WARM_ROWS=${WARM_ROWS:-"triplet/semihard/128/128 triplet/semihard/256/128 triplet/hard/128/128 contrastive/all/128/128 multi-similarity/all/128/128"}

# ---- the PyTorch environment ---------------------------------------------------------
if ! "$VENV/bin/python" -c "import torch, pytorch_metric_learning" 2>/dev/null; then
  echo "== creating $VENV (torch + pytorch-metric-learning)" >&2
  python3 -m venv "$VENV"
  wheel=$(ls "$WHEELS"/torch-*.whl 2>/dev/null | head -n 1 || true)
  if [ -n "$wheel" ]; then
    "$VENV/bin/pip" install -q --find-links "$WHEELS" "$wheel"
  else
    "$VENV/bin/pip" install -q torch
  fi
  "$VENV/bin/pip" install -q --find-links "$WHEELS" pytorch-metric-learning
fi

mkdir -p "$OUT"
train_args=(); for r in $ROWS; do train_args+=(--train "$r"); done
warm_args=(); for r in $WARM_ROWS; do warm_args+=(--train "$r"); done
torch_args=(); for r in $ROWS; do torch_args+=(--row "$r"); done
for r in $WARM_ROWS; do torch_args+=(--warm-row "$r"); done

# ---- the machine and the versions -------------------------------------------------------
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
openblas=$(pkg-config --modversion openblas 2>/dev/null || echo unknown)
swift_version=$(swift --version 2>&1 | head -n 1 || echo unknown)
"$VENV/bin/python" - "$OUT/machine.json" "$cpu" "$(nproc)" "$openblas" "$swift_version" "$(git rev-parse --short HEAD)" \
  "$ROUNDS" "$THREADS" "$OPENBLAS_CORETYPE" <<'EOF'
import json, os, sys, time, torch, pytorch_metric_learning
out, cpu, cores, openblas, swift, commit, rounds, threads, coretype = sys.argv[1:]
json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpu": cpu, "cores": int(cores),
           "openblas": openblas, "openblas_coretype": coretype, "swift": swift, "commit": commit,
           "torch": torch.__version__, "pytorch_metric_learning": pytorch_metric_learning.__version__,
           "rounds": int(rounds), "threads": int(threads),
           "base": os.environ.get("BASE_DESC") or os.environ.get("BASE_BIN")}, open(out, "w"), indent=1)
EOF

# ---- the interleaved rounds ----------------------------------------------------------------
for i in $(seq "$ROUNDS"); do
  if [ -n "${BASE_BIN:-}" ]; then
    echo "== round $i/$ROUNDS: $BASE_BIN (cold rows)" >&2
    "$BASE_BIN" bench --only train --json --threads "$THREADS" "${train_args[@]}" > "$OUT/base-cold-$i.json"
  fi
  echo "== round $i/$ROUNDS: metricbench (cold rows)" >&2
  "$BIN" bench --only train --json --threads "$THREADS" "${train_args[@]}" > "$OUT/ours-cold-$i.json"
  echo "== round $i/$ROUNDS: metricbench (warm rows)" >&2
  "$BIN" bench --only train --json --threads "$THREADS" --warm "${warm_args[@]}" > "$OUT/ours-warm-$i.json"
  echo "== round $i/$ROUNDS: PyTorch + PML" >&2
  "$VENV/bin/python" benchmarks/pml_bench.py --threads "$THREADS" --seconds "$SECONDS_PER_ROW" "${torch_args[@]}" \
    --out "$OUT/torch-$i.json"
done

"$VENV/bin/python" benchmarks/bench_compare_table.py "$OUT" > "$OUT/README.md"
cat "$OUT/README.md"
