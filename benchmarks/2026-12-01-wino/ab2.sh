#!/bin/bash
# Interleaved A/B rounds: main and this branch, each also with METRICBENCH_SIMD=avx2.
# Run from this folder: ./ab2.sh ROUNDS  (binaries: /tmp/mb-main, /tmp/mb-wino)
rounds=$1
for r in $(seq 1 $rounds); do
  for arm in main wino main_avx2 wino_avx2; do
    case $arm in main) bin=/tmp/mb-main; simd="";; wino) bin=/tmp/mb-wino; simd="";; main_avx2) bin=/tmp/mb-main; simd=avx2;; wino_avx2) bin=/tmp/mb-wino; simd=avx2;; esac
    if [ -n "$simd" ]; then export METRICBENCH_SIMD=$simd; else unset METRICBENCH_SIMD; fi
    $bin bench --only train --train triplet/semihard/128/128/convnet32 --train triplet/semihard/128/128/convnet --train triplet/semihard/256/128/convnet32 --json > raw/$arm-r2$r.json 2>/dev/null
  done
done
