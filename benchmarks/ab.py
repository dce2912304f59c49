#!/usr/bin/env python3
"""Interleaved A/B runs of two metricbench binaries (release builds), medians over the rounds.

    python3 benchmarks/ab.py train OLD NEW ROUNDS OUTDIR ROW...
        `bench --only train --json` on the rows (LOSS/MINING/BATCH/EMB[/MODEL]) with each binary,
        OLD first in even rounds and NEW first in odd ones; the raw JSON goes to OUTDIR/{old,new}-R.json.
        Prints per row the medians of samples/s, the fraction of the GEMM limit and the loss's
        milliseconds per step (1000·B·(1/with − 1/without)), NEW/OLD, b1024/b128 where both are
        rows, and the GEMM limit per round (a round far above the others ran on a slower host).

    python3 benchmarks/ab.py loss OLD NEW ROUNDS LOSS... [--samples-per-class K] [--loss-repeats N]
        `bench --only loss` on each LOSS (or LOSS/MINING) at batch 128 and 256 (--batch-sizes),
        alternating the binaries per round; prints the medians of the milliseconds.
        --samples-per-class 0 (the default) is the training rows' shape: 4 classes, K = B/4.

THREADS (environment, default 2) is passed as --threads; OPENBLAS_CORETYPE defaults to Haswell.
"""
import argparse
import json
import os
import statistics
import subprocess

env = dict(os.environ)
env.setdefault("OPENBLAS_CORETYPE", "Haswell")
THREADS = os.environ.get("THREADS", "2")


def orders(rounds, old, new):
    for r in range(rounds):
        pair = [("old", old), ("new", new)]
        yield r, (pair if r % 2 == 0 else pair[::-1])


def run(args):
    return subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout


def train(a):
    os.makedirs(a.outdir, exist_ok=True)
    res, limits = {}, {}
    for r, pair in orders(a.rounds, a.old, a.new):
        for tag, binary in pair:
            args = [binary, "bench", "--only", "train", "--threads", THREADS, "--json"]
            for row in a.rows:
                args += ["--train", row]
            text = run(args)
            with open(os.path.join(a.outdir, f"{tag}-{r}.json"), "w") as f:
                f.write(text)
            for t in json.loads(text)["train"]:
                key = "/".join(str(t[k]) for k in ("loss", "mining", "batch_size", "embedding_dim"))
                if t.get("model", "mlp") != "mlp":
                    key += "/" + t["model"]
                if t.get("warm"):
                    key += " (warm)"
                loss_ms = 1000 * t["batch_size"] * (1 / t["samples_per_s"] - 1 / t["samples_per_s_without_loss"])
                res.setdefault((key, tag), []).append((t["samples_per_s"], t["fraction_of_gemm_limit"], loss_ms))
                limit = t.get("phases_ms", {}).get("gemm_limit")
                if limit is not None:
                    limits.setdefault((r, tag), []).append(limit * 1000 / t["batch_size"])
    keys = list(dict.fromkeys(k for k, _ in res))
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    print(f"threads {THREADS}; {a.rounds} rounds alternating, medians\n")
    print("| row | old samples/s | old fraction | old loss ms/step | new samples/s | new fraction | new loss ms/step | new/old |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    speed = {}
    for k in keys:
        o, n = res[(k, "old")], res[(k, "new")]
        speed[k] = (med(o, 0), med(n, 0))
        print(f"| {k} | {med(o, 0):,.0f} | {med(o, 1):.3f} | {med(o, 2):.3f} "
              f"| {med(n, 0):,.0f} | {med(n, 1):.3f} | {med(n, 2):.3f} | {med(n, 0) / med(o, 0):.3f}x |")
    ratios = [(k, k.replace("/1024/", "/128/", 1)) for k in keys if "/1024/" in k]
    ratios = [(k, s) for k, s in ratios if s in speed]
    if ratios:
        print()
        for k, small in ratios:
            print(f"{k}: b1024/b128 old {speed[k][0] / speed[small][0]:.2f}, new {speed[k][1] / speed[small][1]:.2f}")
    if limits:
        print("\nGEMM limit per round (median over the rows of µs per sample):")
        for (r, tag), xs in sorted(limits.items()):
            print(f"  round {r} {tag}: {statistics.median(xs):.2f}")


def loss(a):
    res = {}
    for r, pair in orders(a.rounds, a.old, a.new):
        for tag, binary in pair:
            for name in a.losses:
                for b in a.batch_sizes:
                    k = a.samples_per_class if a.samples_per_class > 0 else b // 4
                    text = run([binary, "bench", "--threads", THREADS, "--only", "loss", "--loss", name,
                                "--loss-batch-size", str(b), "--samples-per-class", str(k),
                                "--loss-repeats", str(a.loss_repeats), "--json"])
                    res.setdefault((name, b, tag), []).append(json.loads(text)["loss"][0]["milliseconds"])
    spc = a.samples_per_class if a.samples_per_class > 0 else "batch / 4"
    print(f"threads {THREADS}; samples per class: {spc}; {a.rounds} rounds alternating, medians\n")
    print("| loss | batch | old ms | new ms | new/old |\n|---|---:|---:|---:|---:|")
    for name in a.losses:
        for b in a.batch_sizes:
            o, n = statistics.median(res[(name, b, "old")]), statistics.median(res[(name, b, "new")])
            print(f"| {name} | {b} | {o:.4f} | {n:.4f} | {n / o:.2f} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    t = sub.add_parser("train", help="training rows (bench --only train)")
    for name in ("old", "new"):
        t.add_argument(name)
    t.add_argument("rounds", type=int)
    t.add_argument("outdir")
    t.add_argument("rows", nargs="+")
    l = sub.add_parser("loss", help="the loss alone (bench --only loss)")
    for name in ("old", "new"):
        l.add_argument(name)
    l.add_argument("rounds", type=int)
    l.add_argument("losses", nargs="+")
    l.add_argument("--samples-per-class", type=int, default=0)
    l.add_argument("--loss-repeats", type=int, default=101)
    l.add_argument("--batch-sizes", type=lambda s: [int(x) for x in s.split(",")], default=[128, 256])
    a = p.parse_args()
    (train if a.what == "train" else loss)(a)


if __name__ == "__main__":
    main()
