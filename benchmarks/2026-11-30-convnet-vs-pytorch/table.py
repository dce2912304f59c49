#!/usr/bin/env python3
"""Medians over the rounds of run.sh: ours (Haswell, SkylakeX kernels) against PyTorch (trivial loss)."""
import glob, json, os, statistics as st
here = os.path.dirname(os.path.abspath(__file__))
def ours(core):
    out = {}
    for p in sorted(glob.glob(f"{here}/ours-{core}-*.json")):
        for r in json.load(open(p))["train"]:
            out.setdefault((r["input"], r["batch_size"]), []).append(r)
    return out
torch = {}
for p in sorted(glob.glob(f"{here}/torch-*.jsonl")):
    for line in open(p):
        d = json.loads(line); torch.setdefault((d["input"], d["batch_size"]), []).append(d["samples_per_s"])
h, s = ours("Haswell"), ours("SkylakeX")
print("| input, batch | MetricBench, Haswell kernels (default) | fraction of im2col GEMM limit | PyTorch 2.13, network alone | ratio | MetricBench, SkylakeX kernels | ratio |")
print("|---|---:|---:|---:|---:|---:|---:|")
for key in sorted(h, key=lambda k: (k[0], k[1])):
    hv = st.median(r["samples_per_s"] for r in h[key]); hf = st.median(r["fraction_of_gemm_limit"] for r in h[key])
    sv = st.median(r["samples_per_s"] for r in s.get(key, [])) if key in s else float("nan")
    tv = st.median(torch[key]) if key in torch else float("nan")
    print(f"| {key[0]}, {key[1]} | {hv:,.0f} | {hf:.2f} | {tv:,.0f} | **{hv / tv:.2f}×** | {sv:,.0f} | {sv / tv:.2f}× |")
n = len(glob.glob(f"{here}/torch-*.jsonl"))
print(f"\nMedians of {n} interleaved rounds (samples/s, 2 threads each).")
