#!/usr/bin/env bash
# Hostile input and concurrent use of the CLI (issue 18). Each case runs the
# binary and checks its exit status (0 ok, 1 check failed / runs failed,
# 2 bad input), a piece of its message, and — for bad input — that nothing
# was written. Then two sweeps share one folder: every run is trained
# exactly once, both finish, and `report` during the sweep always succeeds.
set -euo pipefail
BIN=$(realpath "${1:-.build/debug/metricbench}")
SPEC=$(realpath experiments/ci.yaml)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cases=0

# expect CODE MESSAGE -- COMMAND...: the command exits CODE and its output contains MESSAGE.
expect() {
  local code=$1 message=$2; shift 3
  cases=$((cases + 1))
  set +e; "$@" > "$work/out.txt" 2>&1; local got=$?; set -e
  if [ "$got" != "$code" ] || ! grep -qF -- "$message" "$work/out.txt"; then
    echo "hostile-input: FAILED: $* — exit $got (expected $code), output:" >&2; cat "$work/out.txt" >&2
    echo "  (expected to contain: $message)" >&2; exit 1
  fi
}
# The state of a folder: names, sizes and checksums of every file in it.
snapshot() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r md5sum); }
unchanged() {
  [ "$(snapshot "$1")" = "$2" ] || { echo "hostile-input: FAILED: $1 changed after: $3" >&2; exit 1; }
}

# A finished results folder to attack.
"$BIN" run "$SPEC" --out done --threads 1 2>/dev/null
rows=$(wc -l < done/results.csv)
before=$(snapshot done)
other="$work/other.yaml"; sed 's/learning_rate: 0.003/learning_rate: 0.004/' "$SPEC" > "$other"

# --- options are checked before anything is written (exit 2) ---
mkdir empty-cwd && cd empty-cwd
expect 2 "--out is empty (an unset shell variable?)" -- "$BIN" run "$SPEC" --out ""
[ -z "$(ls -A)" ] || { echo "hostile-input: FAILED: --out '' wrote into the working folder" >&2; exit 1; }
cd ..
expect 2 "--out '/' is the filesystem root" -- "$BIN" run "$SPEC" --out /
expect 2 "--out '//' is the filesystem root" -- "$BIN" run "$SPEC" --out //
echo text > afile
expect 2 "--out '$work/afile' is an existing file, not a folder" -- "$BIN" run "$SPEC" --out "$work/afile"
[ "$(cat afile)" = text ] || { echo "hostile-input: FAILED: afile changed" >&2; exit 1; }
expect 2 "--out 'afile' is an existing file" -- "$BIN" slurm "$SPEC" --out afile
for bad in "--jobs 0" "--jobs -1" "--threads 0" "--threads -3" "--shard 4/2" "--shard -1/2" "--shard 1/2/3" "--shard x"; do
  # shellcheck disable=SC2086
  expect 2 "${bad%% *} must" -- "$BIN" run "$other" --out done $bad
  unchanged done "$before" "run --out done $bad"
done
expect 2 "--jobs must be at least 1, got -1" -- "$BIN" run "$SPEC" --out done --jobs -1
expect 2 "--threads must be at least 1, got 0" -- "$BIN" train --threads 0
expect 2 "--threads must be at least 1, got 0" -- "$BIN" bench --threads 0
expect 2 "--shards must be at least 1, got 0" -- "$BIN" slurm "$SPEC" --shards 0
expect 2 "Missing value for '--jobs" -- "$BIN" run "$SPEC" --jobs
expect 2 "--tolerance must be a finite number ≥ 0, got -inf" -- "$BIN" check done --baseline done/summary.csv --tolerance -inf
expect 2 "needs an estimated" -- "$BIN" train --dataset synthetic --embedding-dim 1000000000 --threads 1
expect 2 "needs an estimated" -- "$BIN" train --dataset synthetic --classes 1000000000 --samples-per-class 5 --threads 1
unchanged done "$before" "the option errors"
# A following report still has every record.
"$BIN" report done 2>/dev/null >/dev/null
[ "$(wc -l < done/results.csv)" = "$rows" ] || { echo "hostile-input: FAILED: report lost records" >&2; exit 1; }
before=$(snapshot done)

# --- the spec ---
mkdir spec-dir
expect 2 "spec-dir: is a directory; give the experiment file" -- "$BIN" run spec-dir --out x
expect 2 "missing.yaml: no such file" -- "$BIN" run missing.yaml --out x
printf 'name: dup\ndataset: { name: synthetic }\nseeds: [0]\nseeds: [1]\nmetrics: [recall@1]\n' > dup.yaml
expect 2 "dup.yaml:4: 'seeds': appears twice in one mapping (first on line 3); keep one" -- "$BIN" list dup.yaml
if grep -q "metrics" "$work/out.txt"; then echo "hostile-input: FAILED: the duplicate-key error quotes the whole file" >&2; exit 1; fi
python3 - <<'PY'
axes = ["learning_rate", "weight_decay", "margin", "pos_margin", "neg_margin", "epochs"]
vals = "[" + ", ".join(str(i) for i in range(1, 11)) + "]"
open("grid.yaml", "w").write("name: grid\ndataset: { name: synthetic }\nsweeps:\n  - { " + ", ".join(f"{a}: {vals}" for a in axes) + " }\n")
PY
expect 2 "grid.yaml:4: 'sweeps': the sweeps expand to 1000000 variant(s) × 1 seed(s) = 1000000 runs, more than the limit of 100000" -- timeout 20 "$BIN" run grid.yaml --out grid
[ ! -e grid ] || { echo "hostile-input: FAILED: a rejected plan created its folder" >&2; exit 1; }
sed 's/hidden: \[64\]/hidden: [9223372036854775807]/' "$SPEC" > intmax.yaml
expect 2 "'hidden/embedding_dim': sizes this large overflow a 64-bit count" -- "$BIN" run intmax.yaml --out intmax
[ ! -e intmax ] || { echo "hostile-input: FAILED: a rejected spec created its folder" >&2; exit 1; }
sed 's/batch_size: 32, embedding_dim: 16/batch_size: 9223372036854775804, embedding_dim: 16/' "$SPEC" > bigbatch.yaml
expect 2 "'batch_size'" -- "$BIN" list bigbatch.yaml

# A run larger than the machine fails with its reason; the rest of the sweep goes on (exit 1).
cat > huge.yaml <<'YAML'
name: huge
dataset: { name: synthetic, classes: 60, train_classes: 40, samples_per_class: 20, input_dim: 32, latent_dim: 8 }
model: { kind: mlp, hidden: [64] }
train: { epochs: 1, samples_per_class: 4 }
base: { loss: triplet, mining: all, batch_size: 32 }
sweeps:
  - { embedding_dim: [16, 1000000000] }
metrics: [recall@1]
YAML
expect 1 "done: 1 ok, 0 diverged, 1 failed" -- "$BIN" run huge.yaml --out huge --threads 1
grep -q "FAILED: needs an estimated .* of memory, more than this machine's" "$work/out.txt" \
  || { echo "hostile-input: FAILED: the too-large run has no reason" >&2; cat "$work/out.txt" >&2; exit 1; }
grep -q ',failed,"needs an estimated' huge/results.csv || { echo "hostile-input: FAILED: results.csv lacks the reason" >&2; exit 1; }

# --- npy and IDX files with absurd sizes ---
python3 - <<'PY'
import struct
def npy(name, descr, shape, body=b""):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    open(name, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + body)
npy("overflow.npy", "<f4", "(4294967296, 4294967296)")
npy("bytes.npy", "<f8", "(2305843009213693952,)")
npy("labels.npy", "<i8", "(2,)", struct.pack("<2q", 0, 1))
import os
os.makedirs("idx", exist_ok=True)
open("idx/train-images-idx3-ubyte", "wb").write(struct.pack(">4I", 0x803, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF))
open("idx/train-labels-idx1-ubyte", "wb").write(struct.pack(">2I", 0x801, 0xFFFFFFFF))
PY
expect 2 "overflow.npy: shape [4294967296, 4294967296] has more elements than this machine can address" -- "$BIN" evaluate --embeddings overflow.npy --labels labels.npy
expect 2 "bytes.npy: truncated data: shape [2305843009213693952] needs more than" -- "$BIN" evaluate --embeddings bytes.npy --labels labels.npy
expect 2 "overflow.npy: shape [4294967296, 4294967296] has more elements" -- "$BIN" loss --loss triplet --embeddings overflow.npy --labels labels.npy
expect 2 "--grad-out '/' is a folder" -- "$BIN" loss --loss triplet --embeddings overflow.npy --labels labels.npy --grad-out /
expect 2 "--embeddings-out '$work' is a folder" -- "$BIN" train --dataset synthetic --embeddings-out "$work" --threads 1
expect 2 "--labels-out 'nowhere/l.npy': the folder" -- "$BIN" train --dataset synthetic --labels-out nowhere/l.npy --threads 1
expect 2 "train-images-idx3-ubyte: truncated: the header promises 4294967295 images of 4294967295×4294967295 (more than" -- "$BIN" train --dataset fashion-mnist --data-path idx --threads 1

# --- check reads the baseline strictly ---
head -1 done/summary.csv > header.csv
sed -n 2p done/summary.csv > row.csv
{ cat header.csv; cat row.csv; sed 's/\r$/,extra\r/' row.csv; } > extra.csv
expect 2 "extra.csv:3: " -- "$BIN" check done --baseline extra.csv
python3 - <<'PY'
import csv
rows = list(csv.reader(open("done/summary.csv", newline="")))
col = rows[0].index("recall@1_mean")
nan = [r[:] for r in rows]; nan[1][col] = "nan"
csv.writer(open("nan.csv", "w", newline="")).writerows(nan)
dup = [r + [r[col]] for r in rows]
csv.writer(open("dupcol.csv", "w", newline="")).writerows(dup)
missing = [r[:] for r in rows]; missing[1][0] = "ffffffffffff"
csv.writer(open("missing.csv", "w", newline="")).writerows(missing)
PY
expect 2 "nan.csv:2: 'recall@1_mean': 'nan' is not a finite number" -- "$BIN" check done --baseline nan.csv
expect 2 "dupcol.csv:1: 'recall@1_mean': the column appears twice in the header" -- "$BIN" check done --baseline dupcol.csv
expect 2 "--tolerance must be a finite number ≥ 0, got nan" -- "$BIN" check done --baseline done/summary.csv --tolerance nan
expect 2 "--tolerance must be a finite number ≥ 0, got -0.1" -- "$BIN" check done --baseline done/summary.csv --tolerance -0.1
expect 2 "spec-dir: is a directory; give the baseline summary.csv" -- "$BIN" check done --baseline spec-dir
unchanged done "$before" "the rejected checks"
expect 1 "REGRESSION ffffffffffff recall@1: " -- "$BIN" check done --baseline missing.csv
expect 0 "0 regression(s)" -- "$BIN" check done --baseline done/summary.csv

# --- report keeps records that match no variant, and says why ---
cp -r done edited
cp "$other" edited/spec.yaml
expect 0 "warning: 12 of 12 record(s) in edited/runs match no planned run of edited/spec.yaml" -- "$BIN" report edited
[ "$(grep -c 'not in the plan: variant' edited/results.csv)" = 12 ] || { echo "hostile-input: FAILED: results.csv does not keep the unmatched records" >&2; exit 1; }

# --- two sweeps on one folder, and reports during them ---
"$BIN" run "$SPEC" --out shared --threads 1 --jobs 2 2> a.log & a=$!
"$BIN" run "$SPEC" --out shared --threads 1 2> b.log & b=$!
reports=0
while kill -0 $a 2>/dev/null || kill -0 $b 2>/dev/null; do
  if [ -f shared/spec.yaml ]; then
    "$BIN" report shared > /dev/null 2> r.log || { echo "hostile-input: FAILED: report during a sweep" >&2; cat r.log >&2; exit 1; }
    python3 -c "import csv,sys; rows=list(csv.DictReader(open('shared/results.csv'))); assert all(r['status'] in ('ok','diverged','failed') for r in rows)"
    reports=$((reports + 1))
  fi
  sleep 0.1
done
wait $a || { echo "hostile-input: FAILED: the first sweep failed" >&2; cat a.log >&2; exit 1; }
wait $b || { echo "hostile-input: FAILED: the second sweep failed" >&2; cat b.log >&2; exit 1; }
trained=$(cat a.log b.log | grep -c ': ok' || true)
[ "$trained" = 12 ] || { echo "hostile-input: FAILED: two sweeps trained $trained runs of 12" >&2; cat a.log b.log >&2; exit 1; }
[ "$(ls shared/runs | grep -c '\.json$')" = 12 ] || { echo "hostile-input: FAILED: records missing" >&2; exit 1; }
[ -z "$(ls -A shared/runs | grep -v '\.json$' || true)" ] || { echo "hostile-input: FAILED: leftover files in runs/" >&2; ls -A shared/runs >&2; exit 1; }
cases=$((cases + 1))

# One of two sweeps killed with -9: the other takes its run up and finishes the whole plan.
"$BIN" run "$SPEC" --out killed --threads 1 2> k1.log & k1=$!
"$BIN" run "$SPEC" --out killed --threads 1 2> k2.log & k2=$!
for _ in $(seq 1 400); do
  [ "$(ls killed/runs 2>/dev/null | grep -c '\.json$' || true)" -ge 4 ] && break
  sleep 0.02
done
kill -9 $k1 2>/dev/null || true
wait $k1 2>/dev/null || true
wait $k2 || { echo "hostile-input: FAILED: the surviving sweep failed" >&2; cat k2.log >&2; exit 1; }
[ "$(ls killed/runs | grep -c '\.json$')" = 12 ] || { echo "hostile-input: FAILED: the surviving sweep left runs undone" >&2; ls killed/runs >&2; cat k2.log >&2; exit 1; }
[ "$(grep -c '^run,\|,ok,' killed/results.csv)" = 13 ] || { echo "hostile-input: FAILED: the survivor's report is incomplete" >&2; exit 1; }
cases=$((cases + 1))
echo "hostile-input: $cases cases ok; two concurrent sweeps trained each of 12 runs once ($reports reports during them); a survivor of kill -9 finished the plan"
