#!/usr/bin/env python3
"""Training throughput of PyTorch + pytorch-metric-learning 2.9 on the MetricBench reference setup.

Per loss: an MLP 784-512-128 (ReLU, L2-normalised output), Adam (lr 1e-3), batches of
128 = 4 classes x 32 samples drawn from Fashion-MNIST classes 0-4 (train split), 2 threads.
Proxy / class-weight losses put their parameters in the same optimizer. After `--warmup`
steps, `--steps` steps are timed; samples/s = steps * 128 / seconds (steady state; batch
sampling included, data already in memory as float32). `cpu_seconds_per_step` is the
process CPU time (all threads) per step: on a machine shared with other jobs it is the
steadier number.

Prints one JSON document (the machine, versions and one row per loss); benchmarks/pml_bench.json
keeps a run. Usage: /work/venv-pml/bin/python benchmarks/pml_bench.py [--steps N] [--warmup N]

With `--row LOSS/MINING/BATCH/EMBEDDING[/MODEL]` (repeatable; the names of `metricbench bench
--train`) it measures those rows instead, for `make bench-compare` (benchmarks/bench_compare.sh):
batch B = 4 classes x B/4 samples, as MetricBench's rows; MODEL `mlp` (784-512-E, the default),
`convnet` (conv 3x3 1->32, ReLU, max pool 2, conv 3x3 32->64, ReLU, max pool 2, linear to E,
L2-normalised; 28x28 images) or `convnet32` (the same on the images zero-padded to 32x32). Each
row times steps until `--seconds` have passed (at least `--min-steps`), after `--warmup` steps;
`--trained-steps N` first trains N steps (lr 1e-3, as every step here) for rows with `"warm": true`.
"""
import argparse
import gzip
import json
import os
import platform
import time

import numpy as np
import torch
import pytorch_metric_learning
from pytorch_metric_learning import losses, miners

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def variants(num_classes, dim):
    """(name, loss, miner or None) for every measured configuration, with PML 2.9 defaults."""
    return [
        ("contrastive", losses.ContrastiveLoss(), None),
        ("triplet+semihard", losses.TripletMarginLoss(margin=0.2), miners.TripletMarginMiner(margin=0.2, type_of_triplets="semihard")),
        ("multi-similarity", losses.MultiSimilarityLoss(), None),
        ("multi-similarity+multi-similarity", losses.MultiSimilarityLoss(), miners.MultiSimilarityMiner()),
        ("margin", losses.MarginLoss(), None),
        ("margin+distance-weighted", losses.MarginLoss(), miners.DistanceWeightedMiner()),
        ("ntxent", losses.NTXentLoss(), None),
        ("supcon", losses.SupConLoss(), None),
        ("circle", losses.CircleLoss(), None),
        ("proxy-nca", losses.ProxyNCALoss(num_classes=num_classes, embedding_size=dim), None),
        ("proxy-anchor", losses.ProxyAnchorLoss(num_classes=num_classes, embedding_size=dim), None),
        ("normalized-softmax", losses.NormalizedSoftmaxLoss(num_classes=num_classes, embedding_size=dim), None),
        ("arcface", losses.ArcFaceLoss(num_classes=num_classes, embedding_size=dim), None),
        ("cosface", losses.CosFaceLoss(num_classes=num_classes, embedding_size=dim), None),
    ]


# MetricBench's loss/mining names -> the pytorch-metric-learning loss and miner (PML 2.9 defaults,
# margins as in `variants`). Losses with parameters of their own get them from `make`.
def pml_loss(loss, mining, num_classes, dim):
    triplet_miners = {"semihard": "semihard", "hard": "hard", "all": None}
    if loss == "triplet":
        if mining not in triplet_miners:
            raise SystemExit(f"pml_bench.py: no PML counterpart for triplet/{mining}; use all, semihard or hard")
        t = triplet_miners[mining]
        return losses.TripletMarginLoss(margin=0.2), (miners.TripletMarginMiner(margin=0.2, type_of_triplets=t) if t else None)
    if mining != "all":
        named = {("multi-similarity", "multi-similarity"): miners.MultiSimilarityMiner,
                 ("margin", "distance-weighted"): miners.DistanceWeightedMiner}
        if (loss, mining) not in named:
            raise SystemExit(f"pml_bench.py: no PML counterpart for {loss}/{mining}")
        miner = named[(loss, mining)]()
    else:
        miner = None
    make = {
        "contrastive": lambda: losses.ContrastiveLoss(),
        "lifted": lambda: losses.LiftedStructureLoss(),
        "multi-similarity": lambda: losses.MultiSimilarityLoss(),
        "margin": lambda: losses.MarginLoss(),
        "ntxent": lambda: losses.NTXentLoss(),
        "supcon": lambda: losses.SupConLoss(),
        "circle": lambda: losses.CircleLoss(),
        "proxy-nca": lambda: losses.ProxyNCALoss(num_classes=num_classes, embedding_size=dim),
        "proxy-anchor": lambda: losses.ProxyAnchorLoss(num_classes=num_classes, embedding_size=dim),
        "normalized-softmax": lambda: losses.NormalizedSoftmaxLoss(num_classes=num_classes, embedding_size=dim),
        "arcface": lambda: losses.ArcFaceLoss(num_classes=num_classes, embedding_size=dim),
        "cosface": lambda: losses.CosFaceLoss(num_classes=num_classes, embedding_size=dim),
    }
    if loss not in make:
        raise SystemExit(f"pml_bench.py: unknown loss {loss!r} (expected triplet or one of {', '.join(make)})")
    return make[loss](), miner


class ConvNet(torch.nn.Module):
    """MetricBench's `convnet` with channels [32, 64] (Training/Models/EmbeddingModel.swift)."""

    def __init__(self, dim, size):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(32, 64, 3, padding=1)
        self.fc = torch.nn.Linear(64 * (size // 4) * (size // 4), dim)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


def measure_rows(args, images, labels, progress):
    """The --row mode: one JSON row per requested row (and per warm row)."""
    keep = labels < 5
    flat = images[keep].astype(np.float32) / 255.0
    y_all = labels[keep].astype(np.int64)
    by_class = [np.where(y_all == c)[0] for c in range(5)]
    inputs = {"mlp": torch.tensor(flat.reshape(-1, 784)),
              "convnet": torch.tensor(flat.reshape(-1, 1, 28, 28)),
              "convnet32": torch.tensor(np.pad(flat, ((0, 0), (2, 2), (2, 2))).reshape(-1, 1, 32, 32))}
    rows = []
    for text, warm in [(r, False) for r in args.row] + [(r, True) for r in args.warm_row]:
        parts = text.split("/")
        if len(parts) not in (4, 5) or parts[4:] and parts[4] not in inputs:
            raise SystemExit(f"pml_bench.py: --row {text}: expected LOSS/MINING/BATCH/EMBEDDING[/mlp|convnet|convnet32]")
        loss_name, mining, batch, dim = parts[0], parts[1], int(parts[2]), int(parts[3])
        model_name = parts[4] if len(parts) == 5 else "mlp"
        if batch % 4:
            raise SystemExit(f"pml_bench.py: --row {text}: the batch must be 4 classes x K")
        per_class = batch // 4
        x_all = inputs[model_name]
        rng = np.random.default_rng(args.seed)
        torch.manual_seed(args.seed)
        loss_fn, miner = pml_loss(loss_name, mining, 5, dim)
        if model_name == "mlp":
            model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, dim))
        else:
            model = ConvNet(dim, 28 if model_name == "convnet" else 32)
        optimizer = torch.optim.Adam(list(model.parameters()) + list(loss_fn.parameters()), lr=1e-3)

        def step():
            chosen = rng.choice(5, size=4, replace=False)
            idx = np.concatenate([rng.choice(by_class[c], size=per_class, replace=False) for c in chosen])
            xb, yb = x_all[idx], torch.tensor(y_all[idx])
            emb = torch.nn.functional.normalize(model(xb), dim=1)
            loss = loss_fn(emb, yb, miner(emb, yb) if miner is not None else None)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            return float(loss)

        row = {"row": text, "loss": loss_name, "mining": mining, "batch_size": batch, "embedding_dim": dim,
               "model": "mlp" if model_name == "mlp" else "convnet", "input": {"mlp": "784", "convnet": "1x28x28", "convnet32": "1x32x32"}[model_name],
               "warm": warm, "trained_steps": args.trained_steps if warm else 0, "learning_rate": 1e-3}
        try:
            # Warm-up: --warmup steps, cut short after --seconds (a PML loss can take seconds a step).
            warmup_start = time.perf_counter()
            for i in range(args.warmup):
                step()
                if i >= 1 and time.perf_counter() - warmup_start > args.seconds:
                    break
            for _ in range(args.trained_steps if warm else 0):
                step()
            start, cpu_start, steps, last = time.perf_counter(), time.process_time(), 0, 0.0
            while steps < args.min_steps or time.perf_counter() - start < args.seconds:
                last = step()
                steps += 1
                # Steps far longer than the budget: the ones taken are the measurement.
                if time.perf_counter() - start > 4 * args.seconds:
                    break
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
            row.update({"samples_per_s": round(steps * batch / seconds, 1), "timed_steps": steps,
                        "cpu_seconds_per_step": round(cpu_seconds / steps, 6), "final_loss": round(last, 6)})
        except (RuntimeError, MemoryError) as error:
            # PML's LiftedStructureLoss at batch 1024 asks for ~200 GB: the row has no number.
            row.update({"samples_per_s": None, "error": str(error).splitlines()[0][:200]})
        rows.append(row)
        progress(rows)
        print(json.dumps(row), flush=True, file=__import__("sys").stderr)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--row", action="append", default=[], help="LOSS/MINING/BATCH/EMBEDDING[/MODEL] (repeatable)")
    parser.add_argument("--warm-row", action="append", default=[], help="a row measured after --trained-steps steps")
    parser.add_argument("--trained-steps", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=3.0, help="--row mode: timed seconds per row")
    parser.add_argument("--min-steps", type=int, default=3, help="--row mode: timed steps per row at least")
    parser.add_argument("--out", help="--row mode: write the JSON document here, rewritten after every row")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    images = read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz"))
    if args.row or args.warm_row:
        load_start = os.getloadavg()[0]

        def document(rows, complete):
            return json.dumps({
                "script": "benchmarks/pml_bench.py --row", "threads": args.threads, "warmup_steps": args.warmup,
                "seconds_per_row": args.seconds, "torch": torch.__version__,
                "pytorch_metric_learning": pytorch_metric_learning.__version__, "python": platform.python_version(),
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "load_average_1min_at_start_and_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
                "complete": complete, "rows": rows}, indent=1)

        def progress(rows):
            # --out keeps the rows measured so far, so a run cut short still has its numbers.
            if args.out:
                with open(args.out + ".partial", "w") as f:
                    f.write(document(rows, False))
                os.replace(args.out + ".partial", args.out)

        rows = measure_rows(args, images, labels, progress)
        if args.out:
            with open(args.out, "w") as f:
                f.write(document(rows, True))
        else:
            print(document(rows, True))
        return
    keep = labels < 5
    x_all = torch.tensor(images[keep].reshape(-1, 784).astype(np.float32) / 255.0)
    y_all = labels[keep].astype(np.int64)
    by_class = [np.where(y_all == c)[0] for c in range(5)]
    classes, per_class, dim = 4, 32, 128
    rng = np.random.default_rng(args.seed)

    def next_batch():
        chosen = rng.choice(5, size=classes, replace=False)
        idx = np.concatenate([rng.choice(by_class[c], size=per_class, replace=False) for c in chosen])
        return x_all[idx], torch.tensor(y_all[idx])

    rows = []
    load_start = os.getloadavg()[0]
    for name, loss_fn, miner in variants(5, dim):
        torch.manual_seed(args.seed)
        model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, dim))
        params = list(model.parameters()) + list(loss_fn.parameters())
        optimizer = torch.optim.Adam(params, lr=1e-3)

        def step():
            xb, yb = next_batch()
            emb = torch.nn.functional.normalize(model(xb), dim=1)
            indices = miner(emb, yb) if miner is not None else None
            loss = loss_fn(emb, yb, indices)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            return float(loss)

        for _ in range(args.warmup):
            step()
        start, cpu_start = time.perf_counter(), time.process_time()
        last = 0.0
        for _ in range(args.steps):
            last = step()
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        row = {"loss": name, "samples_per_second": round(args.steps * classes * per_class / seconds, 1),
               "seconds_per_step": round(seconds / args.steps, 6),
               "cpu_seconds_per_step": round(cpu_seconds / args.steps, 6), "final_loss": round(last, 6)}
        rows.append(row)
        print(json.dumps(row), flush=True, file=__import__("sys").stderr)

    print(json.dumps({
        "script": "benchmarks/pml_bench.py",
        "setup": {"model": "784-512-128 ReLU, L2-normalised", "optimizer": "Adam lr 1e-3",
                  "batch": f"{classes} classes x {per_class}", "data": "Fashion-MNIST train, classes 0-4",
                  "threads": args.threads, "warmup_steps": args.warmup, "timed_steps": args.steps},
        "torch": torch.__version__, "pytorch_metric_learning": pytorch_metric_learning.__version__,
        "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average_1min_at_start_and_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "rows": rows,
    }, indent=1))


if __name__ == "__main__":
    main()
