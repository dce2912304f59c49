#!/bin/bash
# usage: check.sh NEWBIN ; compares loss outputs and gradients with the old binary
NEW=$1; OLD=/tmp/bigbatch-old-metricbench; cd /tmp/bb-chk; fail=0; n=0
for s in 128_128 1024_128 256_64 1024_512 200_16; do
 for lm in ntxent/all supcon/all circle/all multi-similarity/all multi-similarity/multi-similarity margin/all triplet/all triplet/semihard contrastive/all; do
  l=${lm%/*}; m=${lm#*/}

  $OLD loss --loss $l --mining $m --embeddings x$s.npy --labels l$s.npy --grad-out go.npy --json 2>&1 | sed "s/\"seconds\": [0-9.e-]*,//" > o.json
  $NEW loss --loss $l --mining $m --embeddings x$s.npy --labels l$s.npy --grad-out gn.npy --json 2>&1 | sed "s/\"seconds\": [0-9.e-]*,//" > n.json
  n=$((n+1))
  if cmp -s o.json n.json && cmp -s go.npy gn.npy; then :; else echo "DIFF $s $lm "; fail=1; fi
 done
done
echo "losscheck cases=$n fail=$fail"
