#!/usr/bin/env bash
# Convnet training rows, MetricBench against PyTorch, interleaved, ROUNDS rounds (issue 17).
# Ours: `metricbench bench --only train --train triplet/semihard/B/128/convnet[32]` (the whole
# step including the triplet semihard loss, OPENBLAS_CORETYPE as given). PyTorch:
# benchmarks/convnet_torch.py --loss trivial (the network alone: the conservative comparison,
# PyTorch pays no loss) with the same threads. Writes ours-<coretype>-<i>.json and torch-<i>.jsonl here.
#   benchmarks/2026-11-30-convnet-vs-pytorch/run.sh BIN PYTHON [ROUNDS]
set -euo pipefail
BIN=${1:?BIN}; PY=${2:?PYTHON}; ROUNDS=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
rows=(); for b in 128 256; do for m in convnet convnet32; do rows+=(--train "triplet/semihard/$b/128/$m"); done; done
for i in $(seq "$ROUNDS"); do
  for core in Haswell SkylakeX; do
    OPENBLAS_CORETYPE=$core "$BIN" bench --only train --json --threads 2 "${rows[@]}" > "$here/ours-$core-$i.json"
  done
  : > "$here/torch-$i.jsonl"
  for b in 128 256; do for s in 28 32; do
    "$PY" "$here/../convnet_torch.py" --batch "$b" --size "$s" --threads 2 --loss trivial >> "$here/torch-$i.jsonl"
  done; done
done
