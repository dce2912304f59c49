#!/usr/bin/env bash
# Trains experiments/NAME.yaml into WORK/NAME and proves whether it reproduced
# the committed results/NAME: `make ablation` and `make paper` call this.
#
#   scripts/reproduce.sh BIN WORK NAME...
#
# WORK/NAME is a working folder (under .build/, git-ignored): a run
# interrupted at any point (Ctrl-C, kill -9) resumes there with the same
# command and trains only the missing runs. After training, `metricbench
# compare results/NAME WORK/NAME` prints the means that moved and one verdict
# line: bit-identical, identical within seed noise, or DIFFERENT.
#
# Environment: JOBS (runs at once, default 2); RESULTS (the committed results,
# default results); PUBLISH=1 copies the new runs and reports over
# RESULTS/NAME after the comparison (after an intended change; then commit them).
# Exit status: 0 when every experiment reproduced (or was published), 1 when
# one differs, 2 on bad input; an interrupted training passes its status on.
set -uo pipefail
BIN=${1:?usage: reproduce.sh BIN WORK NAME...}
WORK=${2:?usage: reproduce.sh BIN WORK NAME...}
shift 2
JOBS=${JOBS:-2}
RESULTS=${RESULTS:-results}
PUBLISH=${PUBLISH:-}
[ "$#" -ge 1 ] || { echo "reproduce.sh: name at least one experiment" >&2; exit 2; }

declare -a verdicts=()
worst=0
for name in "$@"; do
  spec=experiments/$name.yaml
  out=$WORK/$name
  [ -f "$spec" ] || { echo "reproduce.sh: $spec: no such experiment file" >&2; exit 2; }
  echo "== $name: training into $out (finished runs are kept; an interrupted run resumes here)" >&2
  mkdir -p "$out"
  "$BIN" run "$spec" --out "$out" --jobs "$JOBS" || exit $?

  if [ -f "$RESULTS/$name/summary.csv" ]; then
    "$BIN" compare "$RESULTS/$name" "$out" --changed > "$out/comparison.md"
    rc=$?
    [ "$rc" -ge 2 ] && { cat "$out/comparison.md"; exit "$rc"; }
    # The table of what moved (the verdict is its last line, printed below).
    sed '$d' "$out/comparison.md" | sed -e '1{/^# /d}'
    line=$(tail -n 1 "$out/comparison.md")
  else
    rc=1
    line="verdict: nothing to compare — $RESULTS/$name had no summary.csv (PUBLISH=1 writes one)"
  fi

  if [ -n "$PUBLISH" ]; then
    dest=$RESULTS/$name
    mkdir -p "$dest"
    rm -rf "$dest/runs" "$dest/plots"
    mkdir -p "$dest/runs"
    # Whole records only: a writer's temporary files never reach the committed folder.
    find "$out/runs" -maxdepth 1 -name '*.json' ! -name '.*' -exec cp {} "$dest/runs/" \;
    cp -r "$out/plots" "$dest/plots"
    cp "$out/results.csv" "$out/summary.csv" "$out/tables.md" "$out/spec.yaml" "$dest/"
    # A tuned experiment (tune:) also keeps its trial records and tuning report.
    if [ -d "$out/tuning/runs" ]; then
      rm -rf "$dest/tuning"; mkdir -p "$dest/tuning/runs"
      find "$out/tuning/runs" -maxdepth 1 -name '*.json' ! -name '.*' -exec cp {} "$dest/tuning/runs/" \;
      cp "$out/tuning.md" "$dest/"
    fi
    echo "published $out over $dest ($(ls "$dest/runs" | wc -l) run records and the reports); commit them" >&2
    rc=0
  fi
  [ "$rc" -gt "$worst" ] && worst=$rc
  verdicts+=("$name — $line")
  [ "$#" -gt 1 ] && echo "$name: $line"
done

if [ "$#" -gt 1 ]; then
  identical=0; noise=0; different=0; new=0
  for v in "${verdicts[@]}"; do
    case "$v" in
      *"verdict: bit-identical"*) identical=$((identical + 1)) ;;
      *"verdict: identical within seed noise"*) noise=$((noise + 1)) ;;
      *"verdict: nothing to compare"*) new=$((new + 1)) ;;
      *) different=$((different + 1)) ;;
    esac
  done
  echo "verdict: $# experiments — $identical bit-identical, $noise identical within seed noise, $different different, $new with nothing committed to compare${PUBLISH:+ (published)}"
else
  echo "${line}${PUBLISH:+ (published)}"
fi
exit "$worst"
