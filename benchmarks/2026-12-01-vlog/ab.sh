#!/bin/bash
# Interleaved A/B: MAIN_BIN vs VLOG_BIN, ROUNDS rounds, JSON into OUT; then python3 summarise.py OUT.
cd "$(dirname "$0")"/../..
ROUNDS=${ROUNDS:-3}
for r in $(seq 1 $ROUNDS); do
  for v in main vlog; do
    bin=${MAIN_BIN:?copy of main's release binary}; [ $v = vlog ] && bin=${VLOG_BIN:?this branch's release binary}
    $bin bench --only train --train ntxent/all/1024/128 --train ntxent/all/128/128 --json > ${OUT:-benchmarks/2026-12-01-vlog/raw}/train-$v-$r.json 2>${OUT:-benchmarks/2026-12-01-vlog/raw}/train-$v-$r.err
    $bin bench --only loss --loss ntxent --loss-batch-size 1024 --samples-per-class 256 --json > ${OUT:-benchmarks/2026-12-01-vlog/raw}/loss-$v-$r.json 2>${OUT:-benchmarks/2026-12-01-vlog/raw}/loss-$v-$r.err
  done
done
echo finished
