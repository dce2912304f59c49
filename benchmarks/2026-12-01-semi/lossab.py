#!/usr/bin/env python3
"""Interleaved A/B of the loss alone: python3 lossab.py OLD NEW ROUNDS SPC LOSS... (batch 128 and 256, medians).

SPC is --samples-per-class; 0 means the training rows' shape (4 classes: 32 at batch 128, 64 at 256).
THREADS (environment, default 2) is passed as --threads."""
import json, subprocess, statistics, sys, os
old, new, rounds, spc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]); losses = sys.argv[5:]
env = dict(os.environ, OPENBLAS_CORETYPE="Haswell")
threads = os.environ.get("THREADS", "2")
res = {}
for r in range(rounds):
    for tag, b in ([("old", old), ("new", new)] if r % 2 == 0 else [("new", new), ("old", old)]):
        for l in losses:
            for bs in (128, 256):
                k = spc if spc > 0 else bs // 4
                t = subprocess.run([b, "bench", "--threads", threads, "--only", "loss", "--loss", l, "--loss-batch-size", str(bs), "--samples-per-class", str(k), "--loss-repeats", "101", "--json"], env=env, capture_output=True, text=True, check=True).stdout
                res.setdefault((l, bs, tag), []).append(json.loads(t)["loss"][0]["milliseconds"])
print(f"threads {threads}; samples per class: {spc if spc > 0 else 'batch / 4'}; {rounds} rounds, medians\n")
print("| loss | batch | old ms | new ms | new/old |\n|---|---:|---:|---:|---:|")
for l in losses:
    for bs in (128, 256):
        o, n = statistics.median(res[(l, bs, "old")]), statistics.median(res[(l, bs, "new")])
        print(f"| {l} | {bs} | {o:.4f} | {n:.4f} | {n/o:.2f} |")
