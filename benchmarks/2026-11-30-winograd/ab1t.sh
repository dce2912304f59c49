#!/bin/bash
# Interleaved one-thread rounds (PyTorch's 2-thread runs collapse on this loaded machine): this branch,
# main at 6541ee1 and PyTorch (--loss trivial), every row. Binaries as in ab.sh.
export OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1
PY=/work/venv-pml/bin/python; T=$(dirname "$0")/../convnet_torch.py
ROWS="--train triplet/semihard/128/128/convnet --train triplet/semihard/256/128/convnet --train triplet/semihard/128/128/convnet32 --train triplet/semihard/256/128/convnet32"
for r in $(seq 1 ${ROUNDS:-3}); do
  echo "## round $r $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  /tmp/wg-new-bin bench --threads 1 --only train $ROWS 2>&1 | grep train | sed 's/^/new1t /'
  /tmp/wg-main-bin bench --threads 1 --only train $ROWS 2>&1 | grep train | sed 's/^/main1t /'
  for b in 128 256; do for s in 28 32; do $PY $T --batch $b --size $s --loss trivial --steps 10 --threads 1 | sed 's/^/torch1t /'; done; done
done
