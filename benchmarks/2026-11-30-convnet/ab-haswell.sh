#!/bin/bash
# Interleaved A/B: ours (new, old) and PyTorch, 3 rounds.
# /tmp/mb-toggle* were release builds of this branch with a temporary, uncommitted switch: MB_OLD_CONV=1 built
# the convnet from the previous layers (Conv2D, ReLU, MaxPool as on main 8e9cb55) instead of ConvReLUPool.
PY=/work/venv-pml/bin/python; T=/work/wt-convnet/benchmarks/convnet_torch.py
for r in 1 2 3; do
  echo "## round $r $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  /tmp/mb-toggle2 bench --only train --train triplet/semihard/128/128/convnet --train triplet/semihard/256/128/convnet --train triplet/semihard/128/128/convnet32 --train triplet/semihard/256/128/convnet32 2>&1 | grep train | sed 's/^/new2t /'
  MB_OLD_CONV=1 /tmp/mb-toggle2 bench --only train --train triplet/semihard/128/128/convnet --train triplet/semihard/128/128/convnet32 2>&1 | grep train | sed 's/^/old2t /'
  for b in 128 256; do for s in 28 32; do $PY $T --batch $b --size $s --loss trivial --steps 10 | sed 's/^/torch2t /'; done; done
  $PY $T --batch 128 --size 28 --steps 5 --repeats 3 | sed 's/^/torch2t-semihard /'
  /tmp/mb-toggle2 bench --threads 1 --only train --train triplet/semihard/128/128/convnet 2>&1 | grep train | sed 's/^/new1t /'
  $PY $T --batch 128 --size 28 --loss trivial --steps 10 --threads 1 | sed 's/^/torch1t /'
done
