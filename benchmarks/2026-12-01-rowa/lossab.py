#!/usr/bin/env python3
"""Interleaved A/B of the loss alone: python3 lossab.py OLD NEW ROUNDS LOSS... (batch 128 and 256, medians; THREADS=n in the environment, default 2)."""
import json, subprocess, statistics, sys, os
old, new, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]); losses = sys.argv[4:]
env = dict(os.environ, OPENBLAS_CORETYPE="Haswell")
res = {}
for r in range(rounds):
    for tag, b in ([("old", old), ("new", new)] if r % 2 == 0 else [("new", new), ("old", old)]):
        for l in losses:
            for bs in (128, 256):
                t = subprocess.run([b, "bench", "--only", "loss", "--loss", l, "--loss-batch-size", str(bs), "--samples-per-class", "32", "--loss-repeats", "31", "--threads", os.environ.get("THREADS", "2"), "--json"], env=env, capture_output=True, text=True, check=True).stdout
                res.setdefault((l, bs, tag), []).append(json.loads(t)["loss"][0]["milliseconds"])
print("| loss | batch | old ms | new ms | new/old |\n|---|---:|---:|---:|---:|")
for l in losses:
    for bs in (128, 256):
        o, n = statistics.median(res[(l, bs, "old")]), statistics.median(res[(l, bs, "new")])
        print(f"| {l} | {bs} | {o:.3f} | {n:.3f} | {n/o:.2f} |")
