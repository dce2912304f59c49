#!/bin/bash
# Interleaved A/B, 2 threads, Haswell kernels: this branch (Winograd conv2) against main at 6541ee1 (im2col),
# and PyTorch (--loss trivial). /tmp/wg-new-bin, /tmp/wg-main-bin: release builds of the two.
export OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=2
PY=/work/venv-pml/bin/python; T=$(dirname "$0")/../convnet_torch.py
ROWS="--train triplet/semihard/128/128/convnet --train triplet/semihard/256/128/convnet --train triplet/semihard/128/128/convnet32 --train triplet/semihard/256/128/convnet32"
for r in $(seq 1 ${ROUNDS:-3}); do
  echo "## round $r $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  /tmp/wg-new-bin bench --only train $ROWS 2>&1 | grep train | sed 's/^/new /'
  /tmp/wg-main-bin bench --only train $ROWS 2>&1 | grep train | sed 's/^/main /'
  for b in 128 256; do for s in 28 32; do $PY $T --batch $b --size $s --loss trivial --steps 10 | sed 's/^/torch2t /'; done; done
  $PY $T --batch 128 --size 28 --loss trivial --steps 10 --threads 1 | sed 's/^/torch1t /'
  /tmp/wg-new-bin bench --threads 1 --only train --train triplet/semihard/128/128/convnet 2>&1 | grep train | sed 's/^/new1t /'
  /tmp/wg-main-bin bench --threads 1 --only train --train triplet/semihard/128/128/convnet 2>&1 | grep train | sed 's/^/main1t /'
done
