#!/usr/bin/env bash
# The score guard of CI: experiments/ci.yaml must reach the committed baseline
# (experiments/baselines/ci-summary.csv) within the tolerance, and `metricbench
# check` must fail when a metric drops (here: an injected drop in one run record).
set -euo pipefail
BIN=${1:-.build/debug/metricbench}
BASELINE=experiments/baselines/ci-summary.csv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$BIN" run experiments/ci.yaml --out "$work/ci" --threads 1 2>/dev/null
if [ "${UPDATE_BASELINE:-0}" = 1 ]; then cp "$work/ci/summary.csv" "$BASELINE"; echo "score-guard: baseline updated"; exit 0; fi

"$BIN" check "$work/ci" --baseline "$BASELINE" --tolerance 0.02 > "$work/pass.txt" \
  || { echo "score-guard: the ci sweep regressed against $BASELINE:" >&2; cat "$work/pass.txt" >&2; exit 1; }
echo "score-guard: $(tail -1 "$work/pass.txt")"
# Without --tolerance, each baseline mean's own 95% CI (its measured seed variation) is the tolerance.
"$BIN" check "$work/ci" --baseline "$BASELINE" > "$work/pass-ci.txt" \
  || { echo "score-guard: the ci sweep regressed against $BASELINE (measured tolerance):" >&2; cat "$work/pass-ci.txt" >&2; exit 1; }
echo "score-guard: $(tail -1 "$work/pass-ci.txt")"

# Inject a drop of 0.1 in recall@1 of one run and expect the check to fail, naming it.
record=$(ls "$work/ci/runs/"*.json | head -1)
python3 - "$record" <<'PY'
import json, sys
p = sys.argv[1]; r = json.load(open(p)); r["metrics"]["recall@1"] -= 0.1
json.dump(r, open(p, "w"))
PY
if "$BIN" check "$work/ci" --baseline "$BASELINE" --tolerance 0.02 > "$work/fail.txt"; then
  echo "score-guard: check passed despite an injected drop" >&2; exit 1
fi
grep -q "REGRESSION $(basename "$record" | sed 's/-s[0-9]*\.json//') recall@1" "$work/fail.txt" \
  || { echo "score-guard: the regression report does not name the dropped variant" >&2; cat "$work/fail.txt" >&2; exit 1; }
echo "score-guard: an injected drop of 0.1 in one seed's recall@1 fails the check, as it must"
