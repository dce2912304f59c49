#!/usr/bin/env python3
"""PyTorch side of MetricBench's convnet training rows (`metricbench bench --train .../convnet[32]`).

The same network as MetricBench's `convnet` model with channels [32, 64]:
conv 3x3 (padding 1) 1->32, ReLU, max pool 2; conv 3x3 32->64, ReLU, max pool 2;
flatten; linear to E; L2 normalisation. Adam (lr 1e-6, as the Swift rows), batch B of
random 28x28 or 32x32 images (speed does not depend on the pixel values) with P x K labels
(4 classes per batch, as the Swift rows at batch 128 and 256: 5 training classes, K = B/4...).
Loss: pytorch-metric-learning's TripletMarginLoss with a semihard TripletMarginMiner when
--loss triplet-semihard (the default), or the trivial mean of the embeddings (--loss trivial)
to time the network alone. Steady state: warm-up steps, then timed steps; prints one JSON
line with samples_per_s (median of --repeats timed blocks).

Usage: python benchmarks/convnet_torch.py --batch 128 --size 28 [--threads 2] [--steps 30]
"""
import argparse, json, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvNet(nn.Module):
    def __init__(self, embedding_dim, size):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * (size // 4) * (size // 4), embedding_dim)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.normalize(self.fc(x.flatten(1)), dim=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--size", type=int, default=28, choices=[28, 32])
    p.add_argument("--embedding", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=30, help="timed steps per block")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3, help="timed blocks (the median is printed)")
    p.add_argument("--loss", choices=["triplet-semihard", "trivial"], default="triplet-semihard")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = ConvNet(a.embedding, a.size)
    opt = torch.optim.Adam(model.parameters(), lr=1e-6)
    if a.loss == "triplet-semihard":
        from pytorch_metric_learning import losses, miners
        loss_fn, miner = losses.TripletMarginLoss(margin=0.2), miners.TripletMarginMiner(margin=0.2, type_of_triplets="semihard")
    x = torch.randn(a.batch, 1, a.size, a.size)
    labels = torch.arange(a.batch) % 4

    def step():
        opt.zero_grad(set_to_none=True)
        e = model(x)
        if a.loss == "trivial":
            loss = e.mean()
        else:
            loss = loss_fn(e, labels, miner(e, labels))
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    rates = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        for _ in range(a.steps):
            step()
        rates.append(a.steps * a.batch / (time.perf_counter() - t))
    print(json.dumps({"model": "convnet", "input": f"1x{a.size}x{a.size}", "batch_size": a.batch, "embedding_dim": a.embedding,
                      "loss": a.loss, "threads": a.threads, "torch": torch.__version__,
                      "samples_per_s": statistics.median(rates), "samples_per_s_blocks": rates}))


if __name__ == "__main__":
    main()
