#!/usr/bin/env python3
"""Medians of interleaved A/B runs: python3 summarise.py RAW_DIR [A B].

RAW_DIR holds train-V-R.json and loss-V-R.json (`metricbench bench --json`)
for variants A and B (default main, vlog) and rounds R. Prints markdown tables.
"""
import glob, json, statistics, sys

raw = sys.argv[1] if len(sys.argv) > 1 else "raw"
a, b = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else ("main", "vlog")

def load(kind, v):
    return [json.load(open(f)) for f in sorted(glob.glob(f"{raw}/{kind}-{v}-*.json"))]

def med(xs):
    return statistics.median(xs)

print(f"| row | {a} samples/s | {b} samples/s | speed-up | {a} fraction | {b} fraction | rounds |")
print("|---|---|---|---|---|---|---|")
ta, tb = load("train", a), load("train", b)
for batch in sorted({r["batch_size"] for j in ta for r in j["train"]}):
    def col(runs, key):
        return [r[key] for j in runs for r in j["train"] if r["batch_size"] == batch]
    sa, sb = med(col(ta, "samples_per_s")), med(col(tb, "samples_per_s"))
    fa, fb = med(col(ta, "fraction_of_gemm_limit")), med(col(tb, "fraction_of_gemm_limit"))
    print(f"| ntxent/all/{batch}/128 | {sa:,.0f} | {sb:,.0f} | {sb / sa:.2f}x | {fa:.3f} | {fb:.3f} | {min(len(ta), len(tb))} |")
print()
print(f"| loss alone | {a} ms | {b} ms | speed-up | rounds |")
print("|---|---|---|---|---|")
la, lb = load("loss", a), load("loss", b)
ma = med([r["milliseconds"] for j in la for r in j["loss"]])
mb = med([r["milliseconds"] for j in lb for r in j["loss"]])
print(f"| ntxent B 1024, K 256 | {ma:.3f} | {mb:.3f} | {ma / mb:.2f}x | {min(len(la), len(lb))} |")
