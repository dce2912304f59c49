#!/bin/bash
# usage: ab.sh OUTDIR ROUNDS BIN_A BIN_B [bench args]
out=$1; rounds=$2; a=$3; b=$4; shift 4
mkdir -p $out
for i in $(seq $rounds); do
  OPENBLAS_CORETYPE=Haswell $a bench --only train --json "$@" > $out/a-$i.json 2>/dev/null
  OPENBLAS_CORETYPE=Haswell $b bench --only train --json "$@" > $out/b-$i.json 2>/dev/null
done
