#!/bin/bash
# usage: abloss.sh OUT ROUNDS SPC LOSS... ; interleaved loss-only timings (ms) main vs new at B 128, 1024
OUT=$1; R=$2; SPC=$3; shift 3; mkdir -p $OUT; export OPENBLAS_CORETYPE=Haswell
A=""; for l in "$@"; do A="$A --loss $l"; done
for r in $(seq $R); do
 for n in main new; do
  if [ $n = main ]; then B=/tmp/metricbench-main-steploss; else B=/work/wt-steploss/.build/release/metricbench; fi
  $B bench --only loss $A --loss-batch-size 128 --loss-batch-size 1024 --samples-per-class $SPC --json > $OUT/$n-$r.json 2>/dev/null
 done
done
python3 - $OUT <<'PY'
import json,glob,sys,statistics
out=sys.argv[1]; res={}
for f in sorted(glob.glob(out+"/*.json")):
    n=f.split("/")[-1].split("-")[0]; d=json.load(open(f))
    for t in d["loss"]:
        k=(t["loss"],t.get("mining"),t["batch_size"]); res.setdefault(k,{}).setdefault(n,[]).append(t["milliseconds"])
for k,v in res.items():
    m=statistics.median(v["main"]); w=statistics.median(v["new"])
    print(f"{k[0]}/{k[1]} b{k[2]}: main {m:.3f} ms, new {w:.3f} ms, x{m/w:.2f}")
PY
