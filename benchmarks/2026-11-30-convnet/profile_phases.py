import sys, re, collections
# perf script output: sample header line, then stack lines (leaf first), blank line.
phases = [('EmbeddingModelC7forward', 'forward'), ('EmbeddingModelC8backward', 'backward'), ('OptimizerV6update', 'optimizer'),
          ('_DenseProducts', 'gemm-limit'), ('measureSgemm', 'sgemm-rate'), ('evaluate', 'loss'), ('sampleBatch', 'sample')]
tot = collections.Counter(); leaf = collections.defaultdict(collections.Counter)
stack = []
def flush():
    if not stack: return
    ph = 'other'
    for fr in stack:
        for key, name in phases:
            if key in fr: ph = name; break
        if ph != 'other': break
    tot[ph] += 1
    sym = stack[0]
    sym = re.sub(r'^\S+\s+', '', sym).split('+')[0]
    leaf[ph][sym[:90]] += 1
for line in sys.stdin:
    line = line.rstrip('\n')
    if not line.strip(): flush(); stack = []; continue
    if line.startswith('\t') or line.startswith(' '):
        stack.append(line.strip())
flush()
n = sum(tot.values())
step = sum(v for k, v in tot.items() if k in ('forward', 'backward', 'optimizer', 'loss', 'sample'))
print(f"samples {n}; step phases (share of the step):")
for k, v in tot.most_common():
    print(f"  {k:12s} {100*v/n:5.1f}% of all" + (f", {100*v/step:5.1f}% of step" if k in ('forward','backward','optimizer','loss','sample') else ''))
for ph in ('forward', 'backward', 'optimizer'):
    print(f"-- {ph}: top leaves (% of step)")
    for s, v in leaf[ph].most_common(8): print(f"   {100*v/step:5.1f}%  {s}")
