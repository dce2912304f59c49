#!/usr/bin/env python3
"""Medians of phases_ms per row and build from an ab.py raw folder: python3 phases.py RAWDIR."""
import glob, json, os, statistics, sys
res = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.json")):
    tag = os.path.basename(path).split("-")[0]
    for t in json.load(open(path))["train"]:
        p = t["phases_ms"]
        res.setdefault((t["loss"], t["batch_size"], tag), []).append(
            (p["sample"], p["forward"] + p["backward"] - p["gemm_limit"], p["update"], t["fraction_of_gemm_limit"]))
print("| row | build | sample ms | forward + backward − GEMM limit, ms | update ms | fraction |")
print("|---|---|---:|---:|---:|---:|")
for (loss, b, tag) in sorted(res):
    xs = res[(loss, b, tag)]
    m = [statistics.median(x[i] for x in xs) for i in range(4)]
    print(f"| {loss}/{b} | {tag} | {m[0]:.4f} | {m[1]:.3f} | {m[2]:.3f} | {m[3]:.3f} |")
