#!/usr/bin/env python3
"""From ab.py's raw JSON (OUTDIR/{old,new}-R.json): per row the loss's share of the step,
(1/samples_per_s - 1/samples_per_s_without_loss) / (1/gemm_limit_samples_per_s), i.e. the loss's
time per step in units of the step's GEMM limit (self-normalised like fraction_of_gemm_limit),
medians over the rounds. Usage: python3 lossshare.py OUTDIR"""
import glob, json, statistics, sys
res = {}
for path in sorted(glob.glob(f"{sys.argv[1]}/*.json")):
    tag = path.rsplit("/", 1)[1].split("-")[0]
    for t in json.load(open(path))["train"]:
        key = f"{t['loss']}/{t['mining']}/{t['batch_size']}"
        share = (1 / t["samples_per_s"] - 1 / t["samples_per_s_without_loss"]) * t["gemm_limit_samples_per_s"]
        res.setdefault((key, tag), []).append(share)
print("| row | old loss / GEMM limit | new loss / GEMM limit | new/old |\n|---|---:|---:|---:|")
for key in sorted({k for k, _ in res}):
    o, n = statistics.median(res[(key, "old")]), statistics.median(res[(key, "new")])
    print(f"| {key} | {o:.3f} | {n:.3f} | {n / o:.2f} |")
