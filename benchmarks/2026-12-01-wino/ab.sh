#!/bin/bash
# Interleaved A/B rounds, run from this folder: ./ab.sh ROUNDS main=/tmp/mb-main wino=/tmp/mb-wino
# usage: ab.sh ROUNDS label1=binary1 label2=binary2 ...
rounds=$1; shift
for r in $(seq 1 $rounds); do
  for pair in "$@"; do
    label=${pair%%=*}; bin=${pair#*=}
    $bin bench --only train --train triplet/semihard/128/128/convnet32 --train triplet/semihard/128/128/convnet --train triplet/semihard/256/128/convnet32 --json > raw/$label-$r.json 2>/dev/null
  done
done
