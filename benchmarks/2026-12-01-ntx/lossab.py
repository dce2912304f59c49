#!/usr/bin/env python3
"""Interleaved A/B of the loss alone: python3 lossab.py OLD NEW ROUNDS THREADS LOSS... (batch 128 and 256, the
training rows' P×K shape: 4 classes, K = B/4; medians)."""
import json, subprocess, statistics, sys, os
old, new, rounds, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
losses = sys.argv[5:]
env = dict(os.environ, OPENBLAS_CORETYPE="Haswell")
res = {}
for r in range(rounds):
    for tag, b in ([("old", old), ("new", new)] if r % 2 == 0 else [("new", new), ("old", old)]):
        for l in losses:
            for bs in (128, 256):
                t = subprocess.run([b, "bench", "--only", "loss", "--loss", l, "--loss-batch-size", str(bs),
                                    "--samples-per-class", str(bs // 4), "--loss-repeats", "201", "--threads", threads,
                                    "--json"], env=env, capture_output=True, text=True, check=True).stdout
                res.setdefault((l, bs, tag), []).append(json.loads(t)["loss"][0]["milliseconds"])
print(f"| loss | batch | threads | old ms | new ms | new/old |\n|---|---:|---:|---:|---:|---:|")
for l in losses:
    for bs in (128, 256):
        o, n = statistics.median(res[(l, bs, "old")]), statistics.median(res[(l, bs, "new")])
        print(f"| {l} | {bs} | {threads} | {o:.3f} | {n:.3f} | {n/o:.2f} |")
