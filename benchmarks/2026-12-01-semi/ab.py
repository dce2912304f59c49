#!/usr/bin/env python3
# From ../2026-12-01-rowpass/ab.py, fractions printed to three places.
"""Interleaved A/B of training rows: python3 ab.py OLD NEW ROUNDS OUTDIR ROW... (rows as LOSS/MINING/BATCH/EMB)."""
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
            res.setdefault((key, tag), []).append((t["samples_per_s"], t["fraction_of_gemm_limit"]))
keys = []
for row in rows:
    k = "/".join(row.split("/")[:3])
    if k not in keys: keys.append(k)
print("| row | old samples/s | old fraction | new samples/s | new fraction | new/old |")
print("|---|---:|---:|---:|---:|---:|")
med = {}
for k in keys:
    o = res[(k, "old")]; n = res[(k, "new")]
    os_, of = statistics.median(x[0] for x in o), statistics.median(x[1] for x in o)
    ns, nf = statistics.median(x[0] for x in n), statistics.median(x[1] for x in n)
    med[k] = (os_, ns)
    print(f"| {k} | {os_:,.0f} | {of:.3f} | {ns:,.0f} | {nf:.3f} | {ns/os_:.3f}x |")
print()
for k in keys:
    if k.endswith("/1024"):
        b128 = k[:-4] + "128"
        if b128 in med:
            print(f"{k[:-5]}: b1024/b128 old {med[k][0]/med[b128][0]:.2f}, new {med[k][1]/med[b128][1]:.2f}")
