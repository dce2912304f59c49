#!/bin/bash
# AVX-512 kernels (OPENBLAS_CORETYPE=SkylakeX) against the pinned Haswell ones and PyTorch, interleaved, 3 rounds.
# /tmp/mb-toggle* were release builds of this branch with a temporary, uncommitted switch: MB_OLD_CONV=1 built
# the convnet from the previous layers (Conv2D, ReLU, MaxPool as on main 8e9cb55) instead of ConvReLUPool.
PY=/work/venv-pml/bin/python; T=/work/wt-convnet/benchmarks/convnet_torch.py; B=/tmp/mb-toggle3
for r in 1 2 3; do
  echo "## round $r $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  OPENBLAS_CORETYPE=SkylakeX $B bench --only train --train triplet/semihard/128/128/convnet --train triplet/semihard/256/128/convnet --train triplet/semihard/128/128/convnet32 --train triplet/semihard/256/128/convnet32 2>&1 | grep -E "train|sgemm" | sed 's/^/skx2t /'
  $B bench --only train --train triplet/semihard/128/128/convnet --train triplet/semihard/128/128/convnet32 2>&1 | grep -E "train|sgemm" | sed 's/^/hsw2t /'
  $PY $T --batch 128 --size 28 --loss trivial --steps 10 | sed 's/^/torch2t /'
  OPENBLAS_CORETYPE=SkylakeX $B bench --threads 1 --only train --train triplet/semihard/128/128/convnet --train triplet/semihard/128/128/convnet32 2>&1 | grep train | sed 's/^/skx1t /'
  $B bench --threads 1 --only train --train triplet/semihard/128/128/convnet 2>&1 | grep train | sed 's/^/hsw1t /'
  for s in 28 32; do $PY $T --batch 128 --size $s --loss trivial --steps 10 --threads 1 | sed 's/^/torch1t /'; done
done
