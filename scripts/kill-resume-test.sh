#!/usr/bin/env bash
# A real sweep killed with `kill -9` mid-run and restarted completes only the
# missing runs; the final results.csv has every run exactly once, with the same
# metrics as an uninterrupted run (DESIGN §9: atomic records).
set -euo pipefail
BIN=${1:-.build/debug/metricbench}
SPEC=experiments/ci.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

expected=$("$BIN" list "$SPEC" --out "$work/none" | head -1 | sed -E 's/.*= ([0-9]+) run.*/\1/')
echo "kill-resume: $expected runs planned"

# An uninterrupted reference run.
"$BIN" run "$SPEC" --out "$work/ref" --threads 1 2>/dev/null

# Start the sweep, kill -9 it once some records exist but before it finishes.
"$BIN" run "$SPEC" --out "$work/out" --threads 1 2>"$work/log1" &
pid=$!
for _ in $(seq 1 400); do
  n=$(ls "$work/out/runs" 2>/dev/null | grep -c '\.json$' || true)
  [ "$n" -ge 3 ] && break
  sleep 0.02
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
before=$(ls "$work/out/runs" | grep -c '\.json$' || true)
echo "kill-resume: killed with $before of $expected records written"
if [ "$before" -ge "$expected" ]; then echo "kill-resume: the sweep finished before the kill; nothing tested" >&2; exit 1; fi

"$BIN" run "$SPEC" --out "$work/out" --threads 1 2>"$work/log2"
ran=$(grep -c ': ok' "$work/log2" || true)
echo "kill-resume: the restart ran $ran run(s)"
[ "$ran" -eq $((expected - before)) ] || { echo "kill-resume: expected $((expected - before)) runs after the restart" >&2; cat "$work/log2" >&2; exit 1; }
[ -z "$(ls -A "$work/out/runs" | grep -v '\.json$' || true)" ] || { echo "kill-resume: leftover files in runs/" >&2; exit 1; }

python3 - "$work/ref/results.csv" "$work/out/results.csv" "$expected" <<'PY'
import csv, sys
ref = list(csv.DictReader(open(sys.argv[1])))
out = list(csv.DictReader(open(sys.argv[2])))
n = int(sys.argv[3])
keys = [r["run"] for r in out]
assert len(keys) == n and len(set(keys)) == n, f"{len(keys)} rows, {len(set(keys))} distinct, expected {n}"
timing = {"train_seconds", "eval_seconds", "samples_per_second", "code_version"}
refd = {r["run"]: r for r in ref}
for r in out:
    a = refd[r["run"]]
    for k, v in r.items():
        if k not in timing and a[k] != v:
            sys.exit(f"{r['run']} {k}: {v} after the restart, {a[k]} uninterrupted")
print(f"kill-resume: results.csv has all {n} runs exactly once, metrics identical to an uninterrupted run")
PY
