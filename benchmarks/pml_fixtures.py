#!/usr/bin/env python3
"""Reference cases for the modern losses of issue 15, from pytorch-metric-learning 2.9.

Writes Tests/MetricLearningTests/Fixtures/modern-losses.json. Every case holds
float32 inputs (embeddings, labels, and for the proxy / class-weight losses the
C x d weights and each sample's class row), the PML class and its non-default
parameters, an optional selection (pairs mined by PML's MultiSimilarityMiner,
or triplets), and two references:

  f64: the PML loss evaluated in float64 on the float32 inputs (value, dL/dX,
       dL/dW, dL/dbeta). PML's dtype-dependent constants (small_val, neg_inf,
       pos_inf) are pinned to their float32 values, so the formula is the one PML
       trains with, evaluated exactly.
  f32: the same in float32, as PML runs in training.

`reference` names the one the Swift test compares against: f64, unless the two
disagree because float32 rounds a term to exactly zero (a regime MetricBench
reproduces on purpose, see the doc comments of SupConLoss and CircleLoss).

Usage: /work/venv-pml/bin/python benchmarks/pml_fixtures.py [OUT.json]
"""
import json
import sys

import numpy as np
import torch
import pytorch_metric_learning
from pytorch_metric_learning import losses, miners
from pytorch_metric_learning.utils import common_functions as c_f

assert pytorch_metric_learning.__version__.startswith("2.9"), pytorch_metric_learning.__version__

# Pin PML's dtype-dependent constants to float32's, so float64 evaluates the float32 formula.
F32 = torch.finfo(torch.float32)
c_f.small_val = lambda dtype: F32.tiny
c_f.neg_inf = lambda dtype: F32.min
c_f.pos_inf = lambda dtype: F32.max

PAIR = {"multi-similarity": losses.MultiSimilarityLoss, "ntxent": losses.NTXentLoss,
        "supcon": losses.SupConLoss, "circle": losses.CircleLoss, "margin": losses.MarginLoss}
PROXY = {"proxy-nca": losses.ProxyNCALoss, "proxy-anchor": losses.ProxyAnchorLoss,
         "normalized-softmax": losses.NormalizedSoftmaxLoss, "arcface": losses.ArcFaceLoss,
         "cosface": losses.CosFaceLoss}
# Spec keys (snake_case, as in the Swift Parameters) -> PML keyword arguments.
KWARGS = {"learn_beta": "learn_beta", "softmax_scale": "softmax_scale"}


def batch(rng, sizes, dim, spread=1.0, labels=None):
    """Float32 embeddings around per-class centres; `sizes` samples per class."""
    ys = labels if labels is not None else [c for c, n in enumerate(sizes) for _ in range(n)]
    centres = {y: rng.normal(size=dim) for y in sorted(set(ys))}
    x = np.stack([centres[y] + spread * rng.normal(size=dim) for y in ys]).astype(np.float32)
    return x, np.array(ys, dtype=np.int64)


def evaluate(name, params, x, y, dtype, class_index=None, weights=None, pairs=None, triplets=None):
    torch.manual_seed(0)
    xt = torch.tensor(x, dtype=dtype, requires_grad=True)
    out = {}
    if name in PAIR:
        loss = PAIR[name](**params)
        loss = loss.to(dtype)
        yt = torch.tensor(y)
        indices = None
        if pairs is not None:
            indices = tuple(torch.tensor(v, dtype=torch.long) for v in pairs)
        if triplets is not None:
            indices = tuple(torch.tensor(v, dtype=torch.long) for v in triplets)
        if name == "margin" and params.get("learn_beta"):
            loss.beta.data = loss.beta.data.to(dtype)
        value = loss(xt, yt, indices)
        value.backward()
        if name == "margin" and params.get("learn_beta"):
            out["beta_grad"] = float(loss.beta.grad.sum())
    else:
        c, d = weights.shape
        loss = PROXY[name](num_classes=c, embedding_size=d, **params).to(dtype)
        w = torch.tensor(weights, dtype=dtype)
        if name in ("proxy-nca", "proxy-anchor"):
            loss.proxies.data = w.clone()
            param = loss.proxies
        else:
            loss.W.data = w.t().contiguous().clone()
            param = loss.W
        value = loss(xt, torch.tensor(class_index))
        value.backward()
        g = param.grad if param.grad is not None else torch.zeros_like(param)
        g = g if name in ("proxy-nca", "proxy-anchor") else g.t()
        out["weight_grad"] = g.double().tolist()
    out["value"] = float(value)
    out["grad"] = (xt.grad if xt.grad is not None else torch.zeros_like(xt)).double().tolist()
    return out


def finite(r):
    return all(np.isfinite(np.array(r[k], dtype=float)).all() for k in ("value", "grad", "weight_grad", "beta_grad") if k in r)


def disagree(a, b):
    if any(v is None for v in b.values()):
        return False  # a float32 NaN is no reference; the float64 one is
    va, vb = a["value"], b["value"]
    if abs(va - vb) > 1e-4 * max(abs(va), 1e-3):
        return True
    ga, gb = np.array(a["grad"]), np.array(b["grad"])
    return np.abs(ga - gb).max() > 1e-3 * max(np.abs(ga).max(), 1e-6)


def case(name, loss, x, y, params=None, **extra):
    params = params or {}
    kwargs = {KWARGS.get(k, k): v for k, v in params.items()}
    f64 = evaluate(loss, kwargs, x, y, torch.float64, **extra)
    f32 = evaluate(loss, kwargs, x, y, torch.float32, **extra)
    if not finite(f32):
        print(f"float32 PML gives non-finite values for {name}; kept as null")
        f32 = {k: (None if not np.isfinite(np.array(v, dtype=float)).all() else v) for k, v in f32.items()}
    reference = "f32" if disagree(f64, f32) else "f64"
    if reference == "f64":
        f32 = {"value": f32["value"]}  # the float32 gradients are kept only where they are the reference
    entry = {"name": name, "loss": loss, "params": params, "embeddings": x.tolist(), "labels": y.tolist(),
             "f64": f64, "f32": f32, "reference": reference}
    for key in ("class_index", "weights", "pairs", "triplets"):
        if extra.get(key) is not None:
            v = extra[key]
            entry[key] = v.tolist() if hasattr(v, "tolist") else [list(map(int, t)) for t in v]
    return entry


def ms_pairs(x, y, epsilon=0.1):
    miner = miners.MultiSimilarityMiner(epsilon=epsilon)
    a1, p, a2, n = miner(torch.tensor(x, dtype=torch.float64), torch.tensor(y))
    return [a1.tolist(), p.tolist(), a2.tolist(), n.tolist()]


def semihard_triplets(x, y):
    miner = miners.TripletMarginMiner(margin=0.2, type_of_triplets="semihard")
    a, p, n = miner(torch.tensor(x, dtype=torch.float64), torch.tensor(y))
    return [a.tolist(), p.tolist(), n.tolist()]


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "Tests/MetricLearningTests/Fixtures/modern-losses.json"
    rng = np.random.default_rng(15)
    # Classes of 4, 3, 2, 2 and 1 samples: the last class has a single sample.
    x, y = batch(rng, [4, 3, 2, 2, 1], 6)
    distinct, _ = batch(rng, [1] * 5, 6)                 # no positive pair, no triplet
    y_distinct = np.arange(5)
    same, _ = batch(rng, [6], 6)                         # no negative pair
    y_same = np.zeros(6, dtype=np.int64)
    tight, y_tight = batch(rng, [4, 4, 4], 8, spread=0.15)  # well separated: softmax terms underflow
    cases = []

    defaults = {"multi-similarity": {}, "ntxent": {}, "supcon": {}, "circle": {}, "margin": {}}
    other = {"multi-similarity": {"alpha": 3.0, "beta": 20.0, "base": 0.3},
             "ntxent": {"temperature": 0.3}, "supcon": {"temperature": 0.5},
             "circle": {"m": 0.25, "gamma": 32.0}, "margin": {"margin": 0.1, "beta": 0.9}}
    extreme = {"multi-similarity": {"alpha": 40.0, "beta": 400.0, "base": 0.5},
               "ntxent": {"temperature": 0.005}, "supcon": {"temperature": 0.005},
               "circle": {"m": 0.25, "gamma": 512.0}, "margin": {"margin": 0.5, "beta": 1.0}}
    for loss in PAIR:
        cases.append(case(f"{loss} defaults", loss, x, y, defaults[loss]))
        cases.append(case(f"{loss} non-default parameters", loss, x, y, other[loss]))
        cases.append(case(f"{loss} no positive pair", loss, distinct, y_distinct, defaults[loss]))
        cases.append(case(f"{loss} no negative pair", loss, same, y_same, defaults[loss]))
        cases.append(case(f"{loss} extreme scale", loss, x, y, extreme[loss]))
        cases.append(case(f"{loss} extreme scale, separated classes", loss, tight, y_tight, extreme[loss]))
    pairs = ms_pairs(x, y)
    cases.append(case("multi-similarity with its miner", "multi-similarity", x, y, {}, pairs=pairs))
    pairs_tight = ms_pairs(tight, y_tight, epsilon=0.5)
    cases.append(case("multi-similarity with its miner, epsilon 0.5", "multi-similarity", tight, y_tight, {},
                      pairs=pairs_tight))
    cases[-1]["miner_params"] = {"epsilon": 0.5}
    for loss in ("ntxent", "supcon", "circle"):
        cases.append(case(f"{loss} on multi-similarity pairs", loss, x, y, {}, pairs=pairs))
    # Random larger batches (8 classes of 1-6 samples, d = 16), one per loss.
    sizes = [6, 5, 4, 4, 3, 2, 2, 1]
    xr, yr = batch(rng, sizes, 16, spread=1.5)
    for loss in PAIR:
        cases.append(case(f"{loss} random batch", loss, xr, yr, defaults[loss]))
    cases.append(case("multi-similarity random batch with its miner", "multi-similarity", xr, yr, {},
                      pairs=ms_pairs(xr, yr)))
    cases.append(case("margin learn_beta", "margin", x, y, {"learn_beta": True, "nu": 0.1, "beta": 1.1}))
    cases.append(case("margin semihard triplets", "margin", x, y, {}, triplets=semihard_triplets(x, y)))

    # Proxy / class-weight losses: labels 3, 7, 8, 11, 20 -> rows 0..4 of the sorted labels,
    # plus a sixth class (row 5) without samples in the batch.
    raw = np.array([3, 3, 3, 3, 7, 7, 7, 8, 8, 11, 11, 20])
    classes = sorted(set(raw.tolist()))
    ci = np.array([classes.index(v) for v in raw])
    xp, _ = batch(rng, None, 6, labels=ci.tolist())
    weights = rng.normal(size=(6, 6)).astype(np.float32)
    singles, _ = batch(rng, [1] * 6, 6)
    ci_singles = np.arange(6)
    pdefaults = {k: {} for k in PROXY}
    pother = {"proxy-nca": {"softmax_scale": 3.0}, "proxy-anchor": {"margin": 0.2, "alpha": 16.0},
              "normalized-softmax": {"temperature": 0.2}, "arcface": {"margin": 15.0, "scale": 10.0},
              "cosface": {"margin": 0.2, "scale": 16.0}}
    pextreme = {"proxy-nca": {"softmax_scale": 64.0}, "proxy-anchor": {"alpha": 512.0},
                "normalized-softmax": {"temperature": 0.002}, "arcface": {"scale": 1024.0},
                "cosface": {"scale": 1024.0}}
    for loss in PROXY:
        for label, p, xx, cc in [("defaults", pdefaults, xp, ci), ("non-default parameters", pother, xp, ci),
                                 ("one sample per class", pdefaults, singles, ci_singles),
                                 ("extreme scale", pextreme, xp, ci)]:
            cases.append(case(f"{loss} {label}", loss, xx, raw if cc is ci else cc, p[loss],
                              class_index=cc, weights=weights))
    # ArcFace's fallback branch (theta > 180 - margin): a sample opposite its class weight.
    xo = xp.copy()
    xo[0] = -weights[ci[0]] + 0.05 * rng.normal(size=6).astype(np.float32)
    cases.append(case("arcface beyond pi - m", "arcface", xo, raw, {"margin": 40.0, "scale": 8.0},
                      class_index=ci, weights=weights))

    wr = rng.normal(size=(8, 16)).astype(np.float32)
    for loss in PROXY:
        cases.append(case(f"{loss} random batch", loss, xr, yr, pdefaults[loss], class_index=yr, weights=wr))

    for c in cases:
        if c["reference"] == "f32":
            print(f"float32 regime: {c['name']}: f64 {c['f64']['value']:.6g}, f32 {c['f32']['value']:.6g}")
    with open(out_path, "w") as f:
        json.dump({"generator": "benchmarks/pml_fixtures.py", "torch": torch.__version__,
                   "pytorch_metric_learning": pytorch_metric_learning.__version__, "cases": cases}, f)
    print(f"wrote {len(cases)} cases to {out_path}")


if __name__ == "__main__":
    main()
