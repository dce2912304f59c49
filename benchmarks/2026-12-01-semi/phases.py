#!/usr/bin/env python3
"""From ab.py's raw JSON (OUTDIR/{old,new}-R.json) of binaries that report phases_ms: per row the
median of each phase (ms per step) for old and new. Usage: python3 phases.py OUTDIR"""
import glob, json, statistics, sys
res = {}
for path in sorted(glob.glob(f"{sys.argv[1]}/*.json")):
    tag = path.rsplit("/", 1)[1].split("-")[0]
    for t in json.load(open(path))["train"]:
        key = f"{t['loss']}/{t['mining']}/{t['batch_size']}"
        res.setdefault((key, tag), []).append(t)
print("| row | old loss ms | new loss ms | new/old | old GEMM limit ms | new GEMM limit ms | old fraction | new fraction |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for key in sorted({k for k, _ in res}):
    o, n = res[(key, "old")], res[(key, "new")]
    med = lambda runs, f: statistics.median(f(t) for t in runs)
    ol, nl = med(o, lambda t: t["phases_ms"]["loss"]), med(n, lambda t: t["phases_ms"]["loss"])
    og, ng = med(o, lambda t: t["phases_ms"]["gemm_limit"]), med(n, lambda t: t["phases_ms"]["gemm_limit"])
    of, nf = med(o, lambda t: t["fraction_of_gemm_limit"]), med(n, lambda t: t["fraction_of_gemm_limit"])
    print(f"| {key} | {ol:.4f} | {nl:.4f} | {nl / ol:.2f} | {og:.3f} | {ng:.3f} | {of:.3f} | {nf:.3f} |")
