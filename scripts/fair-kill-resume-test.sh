#!/usr/bin/env bash
# A tuned experiment (experiments/fair-ci.yaml) killed with `kill -9` twice —
# once among the tuning trials, once among the final runs — and restarted each
# time trains every trial and every final run exactly once, and ends with the
# same trial records, choices and final metrics as an uninterrupted run.
set -euo pipefail
BIN=${1:-.build/debug/metricbench}
SPEC=experiments/fair-ci.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count() { ls "$1" 2>/dev/null | grep -c '\.json$' || true; }

# An uninterrupted reference run.
"$BIN" run "$SPEC" --out "$work/ref" --threads 1 2>/dev/null
trials=$(count "$work/ref/tuning/runs"); finals=$(count "$work/ref/runs")
echo "fair-kill-resume: $trials trial runs and $finals final runs planned"

# Kills the run of $1 once directory $2 holds at least $3 records.
kill_after() {
  "$BIN" run "$SPEC" --out "$work/out" --threads 1 2>"$1" &
  pid=$!
  for _ in $(seq 1 3000); do
    [ "$(count "$2")" -ge "$3" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
kill_after "$work/log1" "$work/out/tuning/runs" 5
t1=$(count "$work/out/tuning/runs")
echo "fair-kill-resume: killed among the trials with $t1 of $trials trial records written"
[ "$t1" -lt "$trials" ] || { echo "fair-kill-resume: the tuning finished before the kill; nothing tested" >&2; exit 1; }
kill_after "$work/log2" "$work/out/runs" 2
t2=$(count "$work/out/tuning/runs"); f2=$(count "$work/out/runs")
echo "fair-kill-resume: killed among the final runs with $t2 trial and $f2 final records"
[ "$t2" -eq "$trials" ] && [ "$f2" -lt "$finals" ] || { echo "fair-kill-resume: the second kill missed the final stage" >&2; exit 1; }
"$BIN" run "$SPEC" --out "$work/out" --threads 1 2>"$work/log3"

# Every record line of the three logs is a run trained: together exactly the planned runs, none twice.
trained=$(cat "$work/log1" "$work/log2" "$work/log3" | grep -E ': (ok|DIVERGED|FAILED)' | sed -E 's/^\[[0-9]+\/[0-9]+\] ([^ ]+) .*/\1/' | sort)
n=$(echo "$trained" | grep -c . || true); distinct=$(echo "$trained" | sort -u | grep -c . || true)
echo "fair-kill-resume: the three processes finished $n runs ($distinct distinct)"
# A run killed mid-training has no record and is trained again: finished runs are never repeated.
[ "$n" -eq "$distinct" ] || { echo "fair-kill-resume: a run was trained twice" >&2; exit 1; }
[ "$n" -eq $((trials + finals)) ] || { echo "fair-kill-resume: expected $((trials + finals)) runs in all" >&2; exit 1; }
for d in runs tuning/runs; do
  [ -z "$(ls -A "$work/out/$d" | grep -v '\.json$' || true)" ] || { echo "fair-kill-resume: leftover files in $d/" >&2; exit 1; }
done

python3 - "$work/ref" "$work/out" <<'PY'
import json, os, sys
ref, out = sys.argv[1], sys.argv[2]
for d in ("tuning/runs", "runs"):
    a = sorted(os.listdir(os.path.join(ref, d))); b = sorted(os.listdir(os.path.join(out, d)))
    assert a == b, f"{d}: different record sets"
    for n in a:
        x = json.load(open(os.path.join(ref, d, n))); y = json.load(open(os.path.join(out, d, n)))
        assert x["metrics"] == y["metrics"] and x["status"] == y["status"], f"{d}/{n}: metrics differ from the uninterrupted run"
t = lambda p: [l for l in open(os.path.join(p, "tuning.md")) if l.startswith("| ") and "trial " in l]
assert t(ref) == t(out), "tuning.md chooses differently"
print(f"fair-kill-resume: every trial and final record identical to the uninterrupted run; the same choices")
PY
