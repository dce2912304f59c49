#!/usr/bin/env python3
"""Interleaved A/B of training rows: python3 ab.py OLD NEW ROUNDS OUTDIR ROW... (rows as LOSS/MINING/BATCH/EMB);
medians of samples/s (with the loss), fraction_of_gemm_limit and the loss's share of the step."""
import json, os, statistics, subprocess, sys
old, new, rounds, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = sys.argv[5:]
os.makedirs(out, exist_ok=True)
env = dict(os.environ, OPENBLAS_CORETYPE="Haswell")
res = {}
for r in range(rounds):
    for tag, binary in ([("old", old), ("new", new)] if r % 2 == 0 else [("new", new), ("old", old)]):
        args = [binary, "bench", "--only", "train", "--json"]
        for row in rows: args += ["--train", row]
        text = subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
        open(f"{out}/{tag}-{r}.json", "w").write(text)
        for t in json.loads(text)["train"]:
            key = f"{t['loss']}/{t['mining']}/{t['batch_size']}"
            # the loss's milliseconds per step: 1000·B·(1/with − 1/without)
            loss_ms = 1000 * t["batch_size"] * (1 / t["samples_per_s"] - 1 / t["samples_per_s_without_loss"])
            res.setdefault((key, tag), []).append((t["samples_per_s"], t["fraction_of_gemm_limit"], loss_ms))
print("| row | old samples/s | old fraction | old loss ms/step | new samples/s | new fraction | new loss ms/step | new/old |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for row in rows:
    k = "/".join(row.split("/")[:3])
    o, n = res[(k, "old")], res[(k, "new")]
    m = lambda xs, i: statistics.median(x[i] for x in xs)
    print(f"| {k} | {m(o,0):,.0f} | {m(o,1):.3f} | {m(o,2):.3f} | {m(n,0):,.0f} | {m(n,1):.3f} | {m(n,2):.3f} | {m(n,0)/m(o,0):.2f}x |")
