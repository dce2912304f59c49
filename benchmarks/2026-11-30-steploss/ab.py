#!/usr/bin/env python3
# usage: ab.py OUTDIR ROUNDS ROW [ROW...] ; interleaved A(main) / B(worktree) bench runs, medians
import json, os, statistics, subprocess, sys
out, rounds, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
bins = {"main": "/tmp/metricbench-main-steploss", "new": "/work/wt-steploss/.build/release/metricbench"}
os.makedirs(out, exist_ok=True)
env = dict(os.environ, OPENBLAS_CORETYPE="Haswell")
res = {}
for r in range(rounds):
    for name, b in (bins.items() if r % 2 == 0 else reversed(list(bins.items()))):
        args = [b, "bench", "--only", "train", "--json"]
        for row in rows: args += ["--train", row]
        p = subprocess.run(args, capture_output=True, text=True, env=env)
        open(f"{out}/{name}-{r}.json", "w").write(p.stdout)
        d = json.loads(p.stdout)
        for t in d["train"]:
            key = (t.get("loss"), t.get("mining"), t.get("batch_size"), t.get("embedding_dim"))
            res.setdefault(key, {}).setdefault(name, []).append((t["samples_per_s"], t["fraction_of_gemm_limit"]))
for key, v in res.items():
    line = "/".join(str(k) for k in key)
    for name in bins:
        s = [x[0] for x in v.get(name, [])]; f = [x[1] for x in v.get(name, [])]
        line += f"  {name}: {statistics.median(s):8.0f}/s frac {statistics.median(f):.3f}"
    print(line)
