#!/usr/bin/env python3
"""Medians of the interleaved A/B rounds in raw/ (ARM-ROUND.json): samples/s, the self-normalised
fraction of the GEMM limit, and the per-round ratio of each arm against the arm it was paired with."""
import collections, glob, json, os, statistics

here = os.path.dirname(os.path.abspath(__file__))
runs = collections.defaultdict(dict)  # (arm, round) -> {row: (samples/s, fraction)}
for path in glob.glob(os.path.join(here, "raw", "*.json")):
    arm, rnd = os.path.basename(path)[:-5].rsplit("-", 1)
    for t in json.load(open(path))["train"]:
        runs[(arm, rnd)][f"b{t['batch_size']} {t['input']}"] = (t["samples_per_s"], t["fraction_of_gemm_limit"])
rows = sorted({row for r in runs.values() for row in r})
print("| row | arm | rounds | samples/s median (all rounds) | fraction of GEMM limit, median | paired ratio to main, median (range) |")
print("|---|---|---:|---:|---:|---|")
for row in rows:
    for arm, base in [("main", None), ("wino", "main"), ("main_avx2", None), ("wino_avx2", "main_avx2")]:
        mine = {rnd: v[row] for (a, rnd), v in runs.items() if a == arm}
        if not mine:
            continue
        s = [v[0] for v in mine.values()]
        f = [v[1] for v in mine.values()]
        ratio = ""
        if base:
            pairs = [mine[r][0] / runs[(base, r)][row][0] for r in mine if (base, r) in runs]
            ratio = f"{statistics.median(pairs):.2f} ({min(pairs):.2f}–{max(pairs):.2f})"
        print(f"| {row} | {arm} | {len(s)} | {statistics.median(s):,.0f} | {statistics.median(f):.2f} | {ratio} |")
