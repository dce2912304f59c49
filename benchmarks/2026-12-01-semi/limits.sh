#!/usr/bin/env bash
# Where the direct semi-hard choice pays: the loss alone, one thread, OLD (main) against NEW,
# 5 interleaved rounds of 301 evaluations each, at 4 classes per batch (K − 1 positives per
# anchor), with the CPU's widest set and with METRICBENCH_SIMD=avx2. Usage: limits.sh OLD NEW
OLD=$1 NEW=$2
for simd in "" avx2; do
  for bs in 128 256 512 1024; do
    for r in 1 2 3 4 5; do
      for tag in old new; do
        bin=$OLD; [ $tag = new ] && bin=$NEW
        ms=$(METRICBENCH_SIMD=$simd OPENBLAS_CORETYPE=Haswell $bin bench --threads 1 --only loss --loss triplet/semihard \
             --loss-batch-size $bs --samples-per-class $((bs / 4)) --loss-repeats 301 --json 2>/dev/null |
             python3 -c 'import json,sys; print(json.load(sys.stdin)["loss"][0]["milliseconds"])')
        echo "${simd:-widest} $bs $tag $ms"
      done
    done
  done
done | python3 -c '
import sys, statistics, collections
d = collections.defaultdict(list)
for line in sys.stdin:
    s, b, t, ms = line.split(); d[(s, int(b), t)].append(float(ms))
print("| set | batch | positives | old ms | new ms | new/old |\n|---|---:|---:|---:|---:|---:|")
for (s, b) in sorted({(s, b) for s, b, _ in d}):
    o, n = statistics.median(d[(s, b, "old")]), statistics.median(d[(s, b, "new")])
    print(f"| {s} | {b} | {b // 4 - 1} | {o:.4f} | {n:.4f} | {n / o:.2f} |")'
