"""Medians over the rounds in raw/ of each row's fraction of the GEMM limit and phases (ms per step),
at 2 and 1 threads, and two bounds: the fraction if Adam cost nothing, and if the loss cost only its
own B x B x E products (3 B^2 E flops with ssyrk, 4 with sgemm) at the model's GEMM rate, and both."""
import glob, json, statistics, sys
from collections import defaultdict

rows = defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + "/round*-threads*.json")):
    d = json.load(open(f))
    for r in d["train"]:
        rows[(d["threads"], r["loss"] + "/" + r["mining"], r["batch_size"])].append(r)

def med(xs): return statistics.median(xs)

print("| threads | row | batch | fraction | step ms | GEMM limit ms | forward+backward ms | loss ms | Adam ms | gather ms | fraction, Adam free | fraction, loss = its products | both |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for (t, name, b), rs in sorted(rows.items(), key=lambda k: (-k[0][0], k[0][2], k[0][1])):
    ph = {k: med([r["phases_ms"][k] for r in rs]) for k in rs[0]["phases_ms"]}
    step = med([b / r["samples_per_s"] * 1e3 for r in rs])
    frac = med([r["fraction_of_gemm_limit"] for r in rs])
    limit = ph["gemm_limit"]
    # the loss's own products at the model's rate: the backward C X (2 B^2 E) and S = X X^T, its upper
    # triangle by ssyrk for the distance losses (B^2 E), the full sgemm for the cosine ones (2 B^2 E)
    model_flops = 2 * b * (784 * 512 + 512 * 128) * 3 - 2 * b * 784 * 512  # forward, dW, dX (no dX for the input)
    loss_name = name.split("/")[0]
    gram_factor = 0 if loss_name.startswith("proxy") else 4 if loss_name in ("circle", "margin", "ntxent", "supcon") else 3
    gram_ms = limit * (gram_factor * b * b * 128) / model_flops
    no_adam = limit / (step - ph["update"])
    loss_min = limit / (step - ph["loss"] + gram_ms)
    both = limit / (step - ph["loss"] + gram_ms - ph["update"])
    print(f"| {t} | {name} | {b} | {frac:.3f} | {step:.2f} | {limit:.2f} | {ph['forward'] + ph['backward']:.2f} | "
          f"{ph['loss']:.2f} | {ph['update']:.2f} | {ph['sample']:.2f} | {no_adam:.3f} | {loss_min:.3f} | {both:.3f} |")
