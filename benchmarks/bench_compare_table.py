#!/usr/bin/env python3
"""The markdown table of `make bench-compare` from the JSON files in its output folder.

Usage: python3 benchmarks/bench_compare_table.py OUT > OUT/README.md

Reads OUT/machine.json, OUT/ours-cold-*.json, OUT/ours-warm-*.json (metricbench bench --json)
and OUT/torch-*.json (benchmarks/pml_bench.py --row); every number is the median over rounds.
Standard library only.
"""
import glob
import json
import os
import statistics
import sys


def row_name(r):
    """metricbench's and pml_bench.py's rows under one name: LOSS/MINING/BATCH/EMB[/convnet|/convnet32]."""
    name = f"{r['loss']}/{r['mining']}/{r['batch_size']}/{r['embedding_dim']}"
    model, shape = r.get("model", "mlp"), r.get("input", "784")
    if model == "convnet":
        name += "/convnet32" if shape.endswith("32x32") else "/convnet"
    return name


def collect(pattern, key):
    rows = {}
    for path in sorted(glob.glob(pattern)):
        try:
            with open(path) as f:
                doc = json.load(f)
        except ValueError:
            continue  # a round still running (or cut short) left an empty or partial file
        for r in doc["train"] if "train" in doc else doc["rows"]:
            warm = bool(r.get("warm", False))
            rows.setdefault((row_name(r), warm), []).append(r)
    return rows


def median(rows, field):
    values = [r[field] for r in rows if r.get(field) is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def rounds_table(out):
    """Per round of the cold runs: the host's speed (sgemm, the MLP rows' GEMM limit) and how many
    MLP rows reached 0.80 of it, so a round on a slower or busier host stands out."""
    docs = []
    for path in sorted(glob.glob(os.path.join(out, "ours-cold-*.json"))):
        try:
            with open(path) as f:
                docs.append((path, json.load(f)))
        except ValueError:
            continue
    if len(docs) < 2:
        return
    print("\nThe host per round (cold runs): sgemm GFLOP/s as measured at the start of the run, the median over "
          "the MLP rows of the GEMM limit in µs per sample (higher is slower), and the MLP rows at ≥ 0.80 of "
          "their limit in that round alone.\n")
    print("| round | sgemm GFLOP/s | GEMM limit µs/sample | MLP rows ≥ 0.80 |")
    print("|---|---:|---:|---:|")
    for path, doc in docs:
        mlp = [r for r in doc["train"] if r.get("model", "mlp") == "mlp"]
        limits = [1e6 / r["gemm_limit_samples_per_s"] for r in mlp if r.get("gemm_limit_samples_per_s")]
        reached = sum(r["fraction_of_gemm_limit"] >= 0.80 for r in mlp)
        label = os.path.basename(path)[len("ours-cold-"):-len(".json")]
        print(f"| {label} | {fmt(doc.get('sgemm_gflops'), 1)} | {fmt(limits and statistics.median(limits), 2)} | "
              f"{reached} of {len(mlp)} |")


def main():
    out = sys.argv[1]
    with open(os.path.join(out, "machine.json")) as f:
        machine = json.load(f)
    ours = collect(os.path.join(out, "ours-*.json"), "train")
    base = collect(os.path.join(out, "base-*.json"), "train")
    torch_rows = collect(os.path.join(out, "torch-*.json"), "rows")
    print(f"# MetricBench vs PyTorch + pytorch-metric-learning, training throughput ({machine['date'][:10]})\n")
    print(f"Machine: {machine['cpu']}, {machine['cores']} cores; {machine['threads']} threads each side. "
          f"OpenBLAS {machine['openblas']} (OPENBLAS_CORETYPE={machine['openblas_coretype']}), {machine['swift']}, "
          f"MetricBench {machine['commit']}; PyTorch {machine['torch']}, pytorch-metric-learning "
          f"{machine['pytorch_metric_learning']}. Measured {machine['date']}.\n")
    done = 0
    for path in glob.glob(os.path.join(out, "torch-*.json")):
        try:
            with open(path) as f:
                done += json.load(f).get("complete", True) is not False
        except ValueError:
            pass
    rounds = f"{machine['rounds']} rounds" if done == machine["rounds"] else \
        f"{done} complete of {machine['rounds']} planned rounds (the run was cut short; rows of an unfinished round are included)"
    print(f"Produced by `make bench-compare` (benchmarks/bench_compare.sh): {rounds}, each "
          "`metricbench bench --only train --json` on every row (cold: from the initialisation at learning rate 1e-6), "
          "the same on the warm rows with `--warm` (after 200 real steps at Adam's 1e-3, timed at that rate), then "
          "`benchmarks/pml_bench.py --row` on the same rows (PyTorch at lr 1e-3 after a warm-up; warm rows also "
          "after 200 steps). Every number is the median over the rounds; the raw JSON is beside this file. "
          "Rows: LOSS/MINING/BATCH/EMBEDDING, MLP 784-512-E on Fashion-MNIST classes 0–4 (4 classes × B/4 "
          "per batch), or the convnet (conv 3×3 32, ReLU, max pool 2, conv 3×3 64, ReLU, max pool 2, linear; "
          "`convnet` 28×28, `convnet32` the images zero-padded to 32×32). Samples/s include the loss; the "
          "fraction of the GEMM limit is samples/s over the model's dense products alone, timed interleaved in "
          "the same process.\n")
    if base:
        print("With BASE_BIN: the column 'before' is the fraction of the GEMM limit of that build "
              f"({machine.get('base', 'another build')}), run in the same rounds.\n")
    print("| row | MetricBench samples/s | PyTorch + PML samples/s | ratio | fraction of GEMM limit | "
          + ("before | " if base else "") + "warm: MetricBench | warm: fraction | warm: PyTorch | warm: ratio |")
    print("|---|---:|---:|---:|---:|" + ("---:|" if base else "") + "---:|---:|---:|---:|")
    names = []
    for (name, _warm) in list(ours) + list(torch_rows):
        if name not in names:
            names.append(name)
    failed = {}
    for (name, warm), rows in torch_rows.items():
        for r in rows:
            if r.get("error"):
                failed[name] = r["error"]
    for name in names:
        cold, warm = ours.get((name, False), []), ours.get((name, True), [])
        tc, tw = torch_rows.get((name, False), []), torch_rows.get((name, True), [])
        o, t = median(cold, "samples_per_s"), median(tc, "samples_per_s")
        ow, tww = median(warm, "samples_per_s"), median(tw, "samples_per_s")
        ratio = o / t if o and t else None
        ratio_w = ow / tww if ow and tww else None
        print(f"| {name} | {fmt(o)} | {fmt(t, 1 if t and t < 100 else 0)} | {fmt(ratio, 1)}{'×' if ratio else ''} | "
              f"{fmt(median(cold, 'fraction_of_gemm_limit'), 2)} | "
              + (f"{fmt(median(base.get((name, False), []), 'fraction_of_gemm_limit'), 2)} | " if base else "")
              + f"{fmt(ow)} | {fmt(median(warm, 'fraction_of_gemm_limit'), 2)} | "
              f"{fmt(tww, 1 if tww and tww < 100 else 0)} | {fmt(ratio_w, 1)}{'×' if ratio_w else ''} |")
    phased = [name for name in names if any("phases_ms" in r for r in ours.get((name, False), []))]
    if phased:
        print("\nWhere a cold step's time goes (`phases_ms` of `metricbench bench --json`): milliseconds per step, "
              "medians over the rounds. 'over the limit' is the step (the five phases) minus the GEMM-limit products "
              "alone; a row reaches 0.80 of its limit when that is at most a quarter of the limit.\n")
        print("| row | GEMM limit | sample | forward | loss | backward | update | over the limit | of which the loss |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        parts = ["sample", "forward", "loss", "backward", "update"]
        for name in phased:
            rows = [r["phases_ms"] for r in ours[(name, False)] if "phases_ms" in r]
            m = {k: statistics.median(r[k] for r in rows) for k in parts + ["gemm_limit"]}
            over = statistics.median(sum(r[k] for k in parts) - r["gemm_limit"] for r in rows)
            share = m["loss"] / over if over > 0 else None
            print(f"| {name} | {m['gemm_limit']:.3f} | " + " | ".join(f"{m[k]:.3f}" for k in parts)
                  + f" | {over:.3f} | {fmt(share and 100 * share, 0)}{'%' if share else ''} |")
    rounds_table(out)
    if failed:
        print("\nPyTorch rows without a number (—):")
        for name, error in failed.items():
            print(f"- {name}: {error}")


if __name__ == "__main__":
    main()
