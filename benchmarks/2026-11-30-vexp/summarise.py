#!/usr/bin/env python3
"""Medians over the interleaved rounds of raw/train-r*-{main,vexp}.json: a markdown table."""
import glob, json, os, statistics, sys
here = os.path.dirname(os.path.abspath(__file__))
rows = {}
for path in sorted(glob.glob(os.path.join(here, "raw", "train-r*-*.json"))):
    binary = path.rsplit("-", 1)[1].removesuffix(".json")
    for t in json.load(open(path))["train"]:
        key = (t["loss"], t["batch_size"])
        rows.setdefault(key, {}).setdefault(binary, []).append(t)
order = ["ntxent", "circle", "multi-similarity", "supcon"]
print("| loss | batch | main samples/s | vexp samples/s | speed-up | main fraction | vexp fraction | rounds |")
print("|---|---|---|---|---|---|---|---|")
for (loss, b) in sorted(rows, key=lambda k: (order.index(k[0]) if k[0] in order else 99, k[1])):
    r = rows[(loss, b)]
    med = lambda name, field: statistics.median(t[field] for t in r[name])
    sm, sv = med("main", "samples_per_s"), med("vexp", "samples_per_s")
    fm, fv = med("main", "fraction_of_gemm_limit"), med("vexp", "fraction_of_gemm_limit")
    print(f"| {loss} | {b} | {sm:,.0f} | {sv:,.0f} | {sv / sm:.2f}x | {fm:.3f} | {fv:.3f} | {len(r['main'])} |")

# The loss alone (forward + gradient, median of the bench's repeats), K = B/4 as in the training rows.
loss = {}
for path in sorted(glob.glob(os.path.join(here, "raw", "loss-b*-r*-*.json"))):
    binary = path.rsplit("-", 1)[1].removesuffix(".json")
    for t in json.load(open(path))["loss"]:
        loss.setdefault((t["loss"], t["batch_size"]), {}).setdefault(binary, []).append(t["milliseconds"])
print()
print("| loss alone | batch | main ms | vexp ms | speed-up | rounds |")
print("|---|---|---|---|---|---|")
for (name, b) in sorted(loss, key=lambda k: (order.index(k[0]) if k[0] in order else 99, k[1])):
    m, v = statistics.median(loss[(name, b)]["main"]), statistics.median(loss[(name, b)]["vexp"])
    print(f"| {name} | {b} | {m:.3f} | {v:.3f} | {m / v:.2f}x | {len(loss[(name, b)]['main'])} |")
