#!/bin/bash
# Interleaved A/B: session-start binary vs final, 3 rounds, plus PML twice.
cd /work/main
out=benchmarks/2026-11-30-launch-invariance; mkdir -p $out
for i in 1 2 3; do
  OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=2 $BASE bench --only train --json > $out/base-$i.json 2>/dev/null
  OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=2 $FINAL bench --only train --json > $out/new-$i.json 2>/dev/null
  if [ $i -le 2 ]; then /work/venv-pml/bin/python benchmarks/pml_bench.py > $out/pml-$i.json 2>/dev/null; fi
done
echo done > $out/DONE
