# Medians per (binary, batch, input) of an ab*.txt log; ratios new/main and new/torch within each round.
import re, json, sys, statistics as st
rounds = []
for line in open(sys.argv[1]):
    if line.startswith('## round'): rounds.append({}); continue
    if line.startswith('##') or not line.strip(): continue
    tag = line.split()[0]
    if tag.startswith('torch'):
        d = json.loads(line[len(tag) + 1:]); key = (f"torch{d['threads']}t", d['batch_size'], d['input'][2:]); v = d['samples_per_s']; frac = None
    else:
        m = re.search(r'b(\d+)\s+e128\s+(convnet32|convnet)\s+(\d+) samples/s.*: (\d+)%', line)
        key = (tag, int(m[1]), '32x32' if m[2] == 'convnet32' else '28x28'); v = int(m[3]); frac = int(m[4])
    rounds[-1][key] = (v, frac)
keys = sorted({k for r in rounds for k in r})
for k in keys:
    vs = [r[k][0] for r in rounds if k in r]
    fr = [r[k][1] for r in rounds if k in r and r[k][1] is not None]
    print(f"{k[0]:6} b{k[1]:<4} {k[2]}  median {st.median(vs):7.0f}  rounds {[round(v) for v in vs]}" + (f"  fraction {fr}" if fr else ""))
# Tags: new, main (2 threads), new1t, main1t (1 thread), torch2t, torch1t.
for b, s in sorted({(k[1], k[2]) for k in keys}):
    for mine, other in [('new', 'main'), ('new1t', 'main1t'), ('new', 'torch2t'), ('new1t', 'torch1t')]:
        rs = [r[(mine, b, s)][0] / r[(other, b, s)][0] for r in rounds if (mine, b, s) in r and (other, b, s) in r]
        if rs: print(f"{mine}/{other:7} b{b:<4} {s}: per round {[round(x, 2) for x in rs]}  median {st.median(rs):.2f}")
