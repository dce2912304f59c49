#!/bin/bash
# usage: check.sh NEWBIN ; compares loss outputs with main binary
NEW=$1; OLD=/tmp/metricbench-main-steploss; cd /tmp/slc; fail=0
for s in 128_128 1024_128 256_64 1024_512; do
 for lm in margin/all margin/semihard margin/distance-weighted triplet/all triplet/semihard triplet/hard triplet/batch-hard contrastive/all contrastive/hard lifted/all triplet/distance-weighted contrastive/distance-weighted triplet/random multi-similarity/all multi-similarity/multi-similarity ntxent/all supcon/all circle/all; do
  l=${lm%/*}; m=${lm#*/}
  $OLD loss --loss $l --mining $m --embeddings x$s.npy --labels l$s.npy --grad-out go.npy --json 2>&1 | sed "s/\"seconds\": [0-9.e-]*,//" > o.json
  $NEW loss --loss $l --mining $m --embeddings x$s.npy --labels l$s.npy --grad-out gn.npy --json 2>&1 | sed "s/\"seconds\": [0-9.e-]*,//" > n.json
  if cmp -s o.json n.json && cmp -s go.npy gn.npy; then :; else echo "DIFF $s $lm"; fail=1; fi
 done
done
echo "losscheck fail=$fail"
