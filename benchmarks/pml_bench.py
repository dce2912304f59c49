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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    images = read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz"))
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
