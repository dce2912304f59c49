"""Medians over rounds of each row's fraction of its GEMM limit: base-*.json (bdd7a28) vs ours-*.json (0cdc6fc)."""
import glob, json, statistics
def load(p):
    rows = {}
    for f in sorted(glob.glob(p)):
        for r in json.load(open(f))["train"]:
            rows.setdefault(f"{r['loss']}/{r['mining']}/{r['batch_size']}/{r['embedding_dim']}", []).append(r)
    return rows
o, b = load("ours-*.json"), load("base-*.json")
print("| row | before (bdd7a28) | now | loss ms/step now | GEMM limit ms/step |")
print("|---|---:|---:|---:|---:|")
for n in o:
    f = lambda rows: statistics.median(r["fraction_of_gemm_limit"] for r in rows)
    print(f"| {n} | {f(b[n]):.3f} | {f(o[n]):.3f} | {statistics.median(r['phases_ms']['loss'] for r in o[n]):.3f} | "
          f"{statistics.median(r['phases_ms']['gemm_limit'] for r in o[n]):.3f} |")
for bs in ("/128/", "/256/"):
    print(f"\nbatch {bs.strip('/')}: now ≥ 0.80 in", sum(statistics.median(r["fraction_of_gemm_limit"] for r in o[n]) >= 0.8 for n in o if bs in n),
          "of", sum(bs in n for n in o), "rows; before", sum(statistics.median(r["fraction_of_gemm_limit"] for r in b[n]) >= 0.8 for n in b if bs in n))
