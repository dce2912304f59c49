"""Medians over the interleaved rounds of main (session start, 4b74edb) and new, per row."""
import json, statistics as st, sys, glob, os
D = os.path.dirname(os.path.abspath(__file__))
def load(tag):
    rows = {}
    for f in sorted(glob.glob(f'{D}/{tag}-*.json')):
        for r in json.load(open(f))['train']:
            rows.setdefault((r['loss'], r['mining'], r['batch_size']), []).append(r)
    return rows
old, new = load('main'), load('new')
med = lambda rs, k: st.median(r[k] for r in rs)
print('| row | main samples/s | main fraction | new samples/s | new fraction | new / main | new: b1024 / b128 |')
print('|---|---:|---:|---:|---:|---:|---:|')
for key in new:
    l, m, b = key
    n, o = new[key], old[key]
    ratio = ''
    if b == 1024:
        ratio = f"{med(n, 'samples_per_s') / med(new[(l, m, 128)], 'samples_per_s'):.2f}"
    print(f"| {l}/{m}/{b} | {med(o,'samples_per_s'):,.0f} | {med(o,'fraction_of_gemm_limit'):.2f} | "
          f"{med(n,'samples_per_s'):,.0f} | **{med(n,'fraction_of_gemm_limit'):.2f}** | {med(n,'samples_per_s')/med(o,'samples_per_s'):.2f}× | {ratio} |")
