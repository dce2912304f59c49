#!/usr/bin/env python3
"""Cross-check `metricbench loss` and `metricbench evaluate` against reference libraries.

Setup (once; a CPU-only torch wheel is enough):

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install numpy scipy scikit-learn
    /tmp/refvenv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu \
        || /tmp/refvenv/bin/pip install torch
    /tmp/refvenv/bin/pip install pytorch-metric-learning

Run (from the repository root, release binary already built):

    /tmp/refvenv/bin/python benchmarks/reference_check.py [--bin .build/release/metricbench]

What is compared (references are computed in float64 from the same float32 inputs):

1. Losses and gradients (`--grad-out`), random unit-normalised float32 batches:
   * PML ContrastiveLoss(pos_margin=0, neg_margin=1)  [power 1, AvgNonZeroReducer]
       vs `--loss contrastive --mining all --power 1 --reducer nonzero-mean
           --pos-margin 0 --neg-margin 1 --distance euclidean`
   * PML TripletMarginLoss(margin=0.2)  [all triplets, AvgNonZeroReducer]
       vs `--loss triplet --mining all --margin 0.2 --distance euclidean --reducer nonzero-mean`
   * PML LiftedStructureLoss(neg_margin=1, pos_margin=0)  [MeanReducer over ordered
     positive pairs of relu(J~)^2 / 2, i.e. (1/|P_ordered|) sum_ordered relu^2/2
     = 1/(2|P_unordered|) sum_{i<j} relu^2 = DESIGN's J with |P| = unordered pairs]
       vs `--loss lifted --mining all --margin 1`
   * lifted, direct float64 implementation of DESIGN eq. (4)
   * FaceNet triplet, squared euclidean, all triplets, mean reducer, direct float64
   * Hadsell contrastive (power 2, mean over all ordered pairs), direct float64
   PML is run with LpDistance(normalize_embeddings=False) so that, like MetricBench,
   it uses the embeddings exactly as given (this matters for the gradient).
   Direct-formula gradients use torch float64 autograd of the same formula.
2. evaluate: precision@1, r-precision, map@r vs PML AccuracyCalculator
   (k="max_bin_count", ref_includes_query=True, exact kNN via CustomKNN on
   un-normalised euclidean distance; faiss is not needed); the same three plus
   recall@K vs a brute-force numpy kNN (self excluded by index); NMI vs
   sklearn normalized_mutual_info_score with given --assignments; f1 vs a direct
   pairwise count; val@far=1e-3 vs a direct pair count (informational).
   A set with duplicated rows of the same label (exact ties, well defined) is
   checked like the others; a set with duplicated rows of *different* labels,
   whose kNN metrics depend on the (unspecified) order of tied neighbours, is
   compared informationally and gated only on lying between the best and worst
   tie order.

Exit status 1 if a loss differs by more than 1e-5 (relative), a gradient by more
than 1e-5 (max abs error / max abs reference gradient), or a metric by more
than 1e-4 (absolute).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import sklearn
from sklearn.metrics import normalized_mutual_info_score
import pytorch_metric_learning as pml
from pytorch_metric_learning import losses as pml_losses
from pytorch_metric_learning.distances import LpDistance
from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator
from pytorch_metric_learning.utils.inference import CustomKNN

torch.set_num_threads(1)
LOSS_TOL = 1e-5
GRAD_TOL = 1e-5
METRIC_TOL = 1e-4

ROWS = []  # (group, case, quantity, reference, got, err, tol, gating)


def record(group, case, qty, ref, got, err, tol, gating=True):
    ROWS.append((group, case, qty, ref, got, err, tol, gating))


def run_bin(binary, args):
    p = subprocess.run([binary] + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
    return json.loads(p.stdout)


# ---------------------------------------------------------------- data

def make_batch(seed, B, n_classes, d, scale=1.0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_classes), B // n_classes)
    rng.shuffle(labels)
    centres = rng.normal(size=(n_classes, d))
    x = centres[labels] * 0.6 + rng.normal(size=(B, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return (x * scale).astype(np.float32), labels.astype(np.int64)


# ---------------------------------------------------------------- direct formulas (torch float64)

def pdist_t(x, squared):
    sq = (x * x).sum(1)
    d2 = (sq[:, None] + sq[None, :] - 2.0 * x @ x.T).clamp_min(0.0)
    if squared:
        return d2
    B = x.shape[0]
    off = ~torch.eye(B, dtype=torch.bool)
    d = torch.zeros_like(d2)
    d[off] = torch.sqrt(d2[off])  # gradient at the diagonal = 0
    return d


def lifted_design(x, labels, alpha=1.0):
    """DESIGN §3 eq. (4): J = 1/(2|P|) sum_{i<j, same} relu(J~_ij)^2, |P| = #unordered positive pairs."""
    D = pdist_t(x, squared=False)
    lab = torch.as_tensor(labels)
    same = lab[:, None] == lab[None, :]
    neg = ~same
    E = torch.where(neg, alpha - D, torch.full_like(D, -float("inf")))
    B = x.shape[0]
    terms = []
    for i in range(B):
        for j in range(i + 1, B):
            if same[i, j]:
                jt = torch.logsumexp(torch.cat([E[i][neg[i]], E[j][neg[j]]]), 0) + D[i, j]
                terms.append(torch.relu(jt) ** 2)
    P = len(terms)
    return torch.stack(terms).sum() / (2 * P), P


def facenet_triplet(x, labels, margin=0.2):
    D2 = pdist_t(x, squared=True)
    lab = torch.as_tensor(labels)
    same = lab[:, None] == lab[None, :]
    B = x.shape[0]
    pos = same & ~torch.eye(B, dtype=torch.bool)
    neg = ~same
    # T[a,p,n] = D2[a,p] - D2[a,n] + margin over valid (a,p,n)
    valid = pos[:, :, None] & neg[:, None, :]
    T = torch.relu(D2[:, :, None] - D2[:, None, :] + margin)
    return T[valid].mean(), int(valid.sum())


def hadsell_contrastive(x, labels, pos_margin=0.0, neg_margin=1.0, power=2):
    D = pdist_t(x, squared=False)
    lab = torch.as_tensor(labels)
    same = lab[:, None] == lab[None, :]
    B = x.shape[0]
    off = ~torch.eye(B, dtype=torch.bool)
    L = torch.where(same, torch.relu(D - pos_margin) ** power, torch.relu(neg_margin - D) ** power)
    return L[off].mean(), int(off.sum())


def numpy_lifted_loss(x, labels, alpha=1.0):
    """Plain numpy float64 loss value of DESIGN eq. (4), independent of torch."""
    x = x.astype(np.float64)
    sq = (x * x).sum(1)
    D = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0))
    np.fill_diagonal(D, 0.0)
    same = labels[:, None] == labels[None, :]
    tot, P = 0.0, 0
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            if same[i, j]:
                v = np.concatenate([alpha - D[i][~same[i]], alpha - D[j][~same[j]]])
                m = v.max()
                jt = m + np.log(np.exp(v - m).sum()) + D[i, j]
                tot += max(jt, 0.0) ** 2
                P += 1
    return tot / (2 * P)


# ---------------------------------------------------------------- loss checks

def loss_settings():
    ne = dict(distance=LpDistance(normalize_embeddings=False, p=2, power=1))
    return [
        ("PML ContrastiveLoss()",
         ["--loss", "contrastive", "--mining", "all", "--power", "1", "--reducer", "nonzero-mean",
          "--pos-margin", "0", "--neg-margin", "1", "--distance", "euclidean"],
         lambda x, y: pml_losses.ContrastiveLoss(pos_margin=0, neg_margin=1, **ne)(x, torch.as_tensor(y))),
        ("PML TripletMarginLoss(0.2)",
         ["--loss", "triplet", "--mining", "all", "--margin", "0.2", "--distance", "euclidean",
          "--reducer", "nonzero-mean"],
         lambda x, y: pml_losses.TripletMarginLoss(margin=0.2, **ne)(x, torch.as_tensor(y))),
        ("PML LiftedStructureLoss(1,0)",
         ["--loss", "lifted", "--mining", "all", "--margin", "1"],
         lambda x, y: pml_losses.LiftedStructureLoss(neg_margin=1, pos_margin=0, **ne)(x, torch.as_tensor(y))),
        ("DESIGN lifted eq.(4) f64",
         ["--loss", "lifted", "--mining", "all", "--margin", "1"],
         lambda x, y: lifted_design(x, y)[0]),
        ("FaceNet triplet sq-eucl mean f64",
         ["--loss", "triplet", "--mining", "all", "--margin", "0.2", "--distance", "squared-euclidean",
          "--reducer", "mean"],
         lambda x, y: facenet_triplet(x, y)[0]),
        ("Hadsell contrastive p=2 mean f64",
         ["--loss", "contrastive", "--mining", "all", "--power", "2", "--reducer", "mean",
          "--pos-margin", "0", "--neg-margin", "1", "--distance", "euclidean"],
         lambda x, y: hadsell_contrastive(x, y)[0]),
    ]


def check_losses(binary, tmp):
    batches = [  # (seed, B, classes, d, scale)
        (0, 32, 4, 16, 1.0),
        (1, 32, 8, 64, 1.0),
        (2, 64, 8, 16, 1.0),
        (3, 64, 4, 64, 1.0),
        (4, 64, 8, 64, 0.5),  # not unit norm: margins active differently
    ]
    for seed, B, C, d, scale in batches:
        x32, y = make_batch(seed, B, C, d, scale)
        case = f"s{seed} B{B} C{C} d{d}" + ("" if scale == 1.0 else f" x{scale}")
        ep, lp, gp = (os.path.join(tmp, f"{n}.npy") for n in ("e", "l", "g"))
        np.save(ep, x32)
        np.save(lp, y)
        for name, args, ref_fn in loss_settings():
            out = run_bin(binary, ["loss"] + args + ["--embeddings", ep, "--labels", lp,
                                                    "--grad-out", gp, "--json"])
            got = float(out["loss"])
            g_got = np.load(gp).astype(np.float64)
            xt = torch.tensor(x32.astype(np.float64), requires_grad=True)
            ref = ref_fn(xt, y)
            ref.backward()
            ref_v = float(ref.detach())
            g_ref = xt.grad.numpy()
            rel = abs(got - ref_v) / max(abs(ref_v), 1e-12)
            record("loss", case, name + " : loss", ref_v, got, rel, LOSS_TOL)
            gerr = float(np.abs(g_got - g_ref).max())
            gscale = float(np.abs(g_ref).max())
            record("grad", case, name + " : max|dg|/max|g|", gscale, gerr, gerr / max(gscale, 1e-12), GRAD_TOL)
            if name.startswith("DESIGN lifted"):
                npv = numpy_lifted_loss(x32, y)
                record("loss", case, "lifted numpy(no torch) vs torch f64", npv, ref_v,
                       abs(npv - ref_v) / abs(npv), LOSS_TOL)


# ---------------------------------------------------------------- metric checks

def brute_metrics(x32, labels, ks):
    x = x32.astype(np.float64)
    sq = (x * x).sum(1)
    D = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    N = len(x)
    D[np.arange(N), np.arange(N)] = np.inf  # exclude self by index
    order = np.argsort(D, axis=1, kind="stable")[:, : N - 1]
    hits = labels[order] == labels[:, None]
    res = {}
    for k in ks:
        res[f"recall@{k}"] = float(hits[:, :k].any(1).mean())
    R = (labels[:, None] == labels[None, :]).sum(1) - 1
    q = R > 0
    res["precision@1"] = float(hits[q, 0].mean())
    rp, mapr = [], []
    for i in np.where(q)[0]:
        h = hits[i, : R[i]].astype(np.float64)
        rp.append(h.sum() / R[i])
        prec = np.cumsum(h) / np.arange(1, R[i] + 1)
        mapr.append((prec * h).sum() / R[i])
    res["r-precision"] = float(np.mean(rp))
    res["map@r"] = float(np.mean(mapr))
    return res, D


def tie_bounds(x32, labels, ks):
    """Best and worst value of each kNN metric over all orderings of exactly tied neighbours."""
    x = x32.astype(np.float64)
    N = len(x)
    D = ((x[:, None, :] - x[None, :, :]) ** 2).sum(2)  # elementwise: identical rows give identical distances
    D[np.arange(N), np.arange(N)] = np.inf
    same = labels[:, None] == labels[None, :]
    R = same.sum(1) - 1
    q = R > 0
    out = {}
    for name, key in (("best", (~same).astype(int)), ("worst", same.astype(int))):
        o = np.lexsort((key, D), axis=1)[:, : N - 1]
        h = same[np.arange(N)[:, None], o]
        m = {f"recall@{k}": float(h[:, :k].any(1).mean()) for k in ks}
        m["precision@1"] = float(h[q, 0].mean())
        m["r-precision"] = float(np.mean([h[i, :R[i]].sum() / R[i] for i in np.where(q)[0]]))
        m["map@r"] = float(np.mean([(np.cumsum(h[i, :R[i]]) / np.arange(1, R[i] + 1) * h[i, :R[i]]).sum() / R[i]
                                    for i in np.where(q)[0]]))
        out[name] = m
    return out


def pairwise_f1(labels, assign):
    from scipy.special import comb
    cont = np.zeros((labels.max() + 1, assign.max() + 1))
    np.add.at(cont, (labels, assign), 1)
    tp = comb(cont, 2).sum()
    tp_fp = comb(cont.sum(0), 2).sum()
    tp_fn = comb(cont.sum(1), 2).sum()
    p, r = tp / tp_fp, tp / tp_fn
    return 2 * p * r / (p + r)


def val_at_far(D_sq, labels, far):
    N = len(labels)
    iu = np.triu_indices(N, 1)
    d = D_sq[iu]
    same = (labels[:, None] == labels[None, :])[iu]
    ds, dd = np.sort(d[same]), np.sort(d[~same])
    m = int(np.floor(far * len(dd)))  # at most m different pairs may be accepted
    # largest observed threshold d with FAR(d) <= far: all distances < dd[m]
    thr = dd[m] if m < len(dd) else np.inf
    cand = d[d < thr]
    t = cand.max() if len(cand) else -np.inf
    return float(np.searchsorted(ds, t, side="right") / len(ds))


def pml_metrics(x32, labels):
    calc = AccuracyCalculator(include=("precision_at_1", "r_precision", "mean_average_precision_at_r"),
                              k="max_bin_count",
                              knn_func=CustomKNN(LpDistance(normalize_embeddings=False, p=2, power=1)))
    x = torch.tensor(x32.astype(np.float64))
    y = torch.as_tensor(labels)
    r = calc.get_accuracy(x, y, x, y, ref_includes_query=True)
    return {"precision@1": r["precision_at_1"], "r-precision": r["r_precision"],
            "map@r": r["mean_average_precision_at_r"]}


def make_eval_set(seed, N, d, C, dup=None):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, C, size=N)
    centres = rng.normal(size=(C, d))
    x = centres[labels] * 0.5 + rng.normal(size=(N, d))
    if dup == "same":  # duplicated rows, same label: exact ties (distance 0 to a non-self item)
        src = rng.choice(N, size=N // 5, replace=False)
        dst = rng.choice(np.setdiff1d(np.arange(N), src), size=N // 5, replace=False)
        x[dst] = x[src]
        labels[dst] = labels[src]
    if dup == "cross":  # duplicated rows with a different label: result depends on tie order
        src = rng.choice(N, size=N // 10, replace=False)
        dst = rng.choice(np.setdiff1d(np.arange(N), src), size=N // 10, replace=False)
        x[dst] = x[src]
        labels[dst] = (labels[src] + 1) % C
    x = x.astype(np.float32)
    # noisy cluster assignments: 60 % follow the label (permuted ids), the rest random
    perm = rng.permutation(C)
    assign = np.where(rng.random(N) < 0.6, perm[labels], rng.integers(0, C, size=N))
    return x, labels.astype(np.int64), assign.astype(np.int64)


def check_metrics(binary, tmp):
    ks = [1, 2, 4, 8]
    sets = [("N500 d32 C10 s0", 10, None, True), ("N500 d32 C10 s1", 11, None, True),
            ("N500 dup-same s2", 12, "same", True), ("N500 dup-cross s3 (tie-order dep.)", 13, "cross", False)]
    for case, seed, dup, gating in sets:
        x, y, a = make_eval_set(seed, 500, 32, 10, dup)
        ep, lp, ap = (os.path.join(tmp, f"{n}.npy") for n in ("me", "ml", "ma"))
        np.save(ep, x)
        np.save(lp, y)
        np.save(ap, a)
        out = run_bin(binary, ["evaluate", "--embeddings", ep, "--labels", lp, "--assignments", ap,
                               "--recall-k", ",".join(map(str, ks)), "--far", "1e-3", "--json"])
        bf, Dsq = brute_metrics(x, y, ks)
        pm = pml_metrics(x, y)
        for key in ["precision@1", "r-precision", "map@r"]:
            record("metric", case, f"{key} vs PML", pm[key], out[key], abs(out[key] - pm[key]), METRIC_TOL, gating)
        for key in [f"recall@{k}" for k in ks] + ["precision@1", "r-precision", "map@r"]:
            record("metric", case, f"{key} vs numpy kNN", bf[key], out[key], abs(out[key] - bf[key]),
                   METRIC_TOL, gating)
        if dup == "cross":  # tie order is unspecified: the value must lie between best and worst order
            tb = tie_bounds(x, y, ks)
            for key in [f"recall@{k}" for k in ks] + ["precision@1", "r-precision", "map@r"]:
                lo, hi = tb["worst"][key], tb["best"][key]
                err = max(lo - out[key], out[key] - hi, 0.0)
                record("metric", case, f"{key} in tie bounds [{lo:.6f}, {hi:.6f}]", (lo + hi) / 2, out[key],
                       err, METRIC_TOL, True)
        nmi = normalized_mutual_info_score(y, a)
        record("metric", case, "nmi vs sklearn", nmi, out["nmi"], abs(out["nmi"] - nmi), METRIC_TOL, gating)
        f1 = pairwise_f1(y, a)
        record("metric", case, "f1 vs pairwise", f1, out["f1"], abs(out["f1"] - f1), METRIC_TOL, gating)
        Dsq[np.arange(len(x)), np.arange(len(x))] = 0.0
        v = val_at_far(Dsq, y, 1e-3)
        record("metric", case, "val@far=1e-3 vs pairs (info)", v, out["val@far=0.001"],
               abs(out["val@far=0.001"] - v), METRIC_TOL, False)


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bin", default=os.path.join(here, "..", ".build", "release", "metricbench"))
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    print(f"binary: {binary}")
    print(f"python {sys.version.split()[0]}  numpy {np.__version__}  torch {torch.__version__}  "
          f"pytorch-metric-learning {pml.__version__}  scikit-learn {sklearn.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        check_losses(binary, tmp)
        check_metrics(binary, tmp)
    fails = 0
    hdr = f"{'group':6} {'case':36} {'quantity':52} {'reference':>14} {'metricbench':>14} {'error':>10}  status"
    print(hdr)
    print("-" * len(hdr))
    for g, case, qty, ref, got, err, tol, gating in ROWS:
        bad = not (err <= tol)
        status = ("FAIL" if gating else "diff (info)") if bad else "ok"
        fails += bad and gating
        print(f"{g:6} {case:36} {qty:52} {ref:14.8g} {got:14.8g} {err:10.2e}  {status}")
    print()
    print("maximal errors per check:")
    groups = {}
    for g, case, qty, ref, got, err, tol, gating in ROWS:
        k = (g, qty.split(" : ")[0] if g in ("loss", "grad") else qty, gating)
        groups[k] = max(groups.get(k, 0.0), err)
    for (g, q, gating), e in groups.items():
        print(f"  {g:6} {q:52} max error {e:.2e}" + ("" if gating else "  (informational)"))
    print()
    print(f"{fails} gating check(s) over tolerance (loss rel {LOSS_TOL}, grad {GRAD_TOL}, metric {METRIC_TOL})")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
