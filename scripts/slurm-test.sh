#!/usr/bin/env bash
# `make slurm-test`: the Slurm path of MetricBench on a real single-node cluster.
#
# Starts munged, slurmctld and slurmd (as root, on loopback, everything in a
# temporary folder), then:
#   1. submits experiments/ci.yaml with `metricbench slurm --submit` as a job
#      array of 3 shards plus the report job, and checks that results.csv has
#      every run exactly once with the same metrics as a one-process run;
#   2. submits a slower copy of the spec into a fresh folder, cancels one array
#      task after its first run, checks that runs are missing, resubmits, and
#      checks that the finished records were kept untouched, that every run is
#      there exactly once with no temporary records left, and that the
#      metrics again equal a one-process run;
#   3. checks the bad-input errors (exit status 2).
# The daemons it started are stopped by their pids on exit, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=$SECONDS

say() { printf '\n== %s [%ds]\n' "$*" $((SECONDS - START)); }
fail() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "the Slurm test runs its own cluster as root; run it as root (e.g. in CI or a container)"

# ---- packages ----------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# ---- the binary under test ---------------------------------------------------
say "building the release metricbench"
swift build -c release --product metricbench
MB="$(swift build -c release --show-bin-path)/metricbench"
[ -x "$MB" ] || fail "no binary at $MB"

# ---- a private cluster in a temporary folder ---------------------------------
T=$(mktemp -d /tmp/metricbench-slurm-test.XXXXXX)
chmod 711 "$T"   # munged wants execute permission for all on the folders above its socket
mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/log"
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ -n "${SLURM_CONF:-}" ] && [ ${#PIDS[@]} -gt 0 ]; then
        local jobs
        jobs=$(squeue -h -o %A 2>/dev/null | sort -u)
        if [ -n "$jobs" ]; then
            scancel $jobs 2>/dev/null
            for _ in $(seq 30); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.5; done
        fi
    fi
    if [ $rc -ne 0 ]; then
        echo "--- slurmctld log (tail)"; tail -n 15 "$T/log/slurmctld.log" 2>/dev/null
        echo "--- slurmd log (tail)"; tail -n 15 "$T/log/slurmd.log" 2>/dev/null
    fi
    # Stop the daemons we started, newest first, by pid.
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[$i]}" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    if [ $rc -eq 0 ] && [ -z "${KEEP_SLURM_TEST:-}" ]; then
        rm -rf "$T"
    else
        echo "left $T for inspection"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {  # the first port from $1 on that nothing listens on
    local p=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
    echo "$p"
}
CTLD_PORT=$(free_port 16817)
SLURMD_PORT=$(free_port $((CTLD_PORT + 1)))
HOST=$(hostname -s)

say "starting munged, slurmctld and slurmd (node $HOST, ports $CTLD_PORT/$SLURMD_PORT, in $T)"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge/munge.key"
munged -F --key-file="$T/munge/munge.key" --socket="$T/munge/munge.socket" \
    --pid-file="$T/munge/munged.pid" --seed-file="$T/munge/munged.seed" \
    --log-file="$T/log/munged.log" >"$T/log/munged.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$T/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$T/munge/munge.socket" ] || { cat "$T/log/munged.out" "$T/log/munged.log" 2>/dev/null; fail "munged did not start"; }

cat >"$T/slurm.conf" <<EOF
ClusterName=metricbench-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SwitchType=switch/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=600
KillWait=5
SchedulerParameters=sched_interval=1
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$T/slurm.conf"

slurmctld -D -c -f "$SLURM_CONF" >"$T/log/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" >"$T/log/slurmd.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 60); do
    state=$(sinfo -h -o %T 2>/dev/null || true)
    [[ "$state" == idle || "$state" == mixed ]] && break
    sleep 1
done
[[ "$state" == idle || "$state" == mixed ]] || { cat "$T/log/slurmctld.out" "$T/log/slurmd.out"; fail "the node did not come up (state '$state')"; }
sinfo

# ---- helpers -----------------------------------------------------------------
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}

# Submits SPEC into OUT with 3 shards; sets ARRAY and REPORT to the job ids.
submit() {
    local out
    out=$("$MB" slurm "$1" --shards 3 --cpus-per-task 1 --partition debug --time 00:10:00 --out "$2" --submit)
    echo "$out"
    ARRAY=$(awk '/^array job/ { sub(":", "", $3); print $3 }' <<<"$out")
    REPORT=$(awk '/^report job/ { sub(":", "", $3); print $3 }' <<<"$out")
    [ -n "$ARRAY" ] && [ -n "$REPORT" ] || fail "no job ids in the output of metricbench slurm --submit"
}

# Waits until the report job has ended (it runs after the whole array); fails on timeout.
wait_for_report() {
    local limit=$1 t0=$SECONDS
    while squeue -h -j "$REPORT" 2>/dev/null | grep -q .; do
        [ $((SECONDS - t0)) -lt "$limit" ] || { squeue; fail "job $REPORT did not end within $limit s"; }
        sleep 1
    done
    local state
    state=$(scontrol show job "$REPORT" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
    [ "$state" = COMPLETED ] || { cat "$2"/slurm/logs/*report-"$REPORT".out; fail "report job $REPORT ended $state"; }
}

# State of array task I of job ARRAY.
task_state() { scontrol show job "${ARRAY}_$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2; }

# Every run of the plan exactly once: N records, N data rows in results.csv, N distinct run keys.
check_complete() {
    local out=$1 n=$2 records rows distinct leftovers
    records=$(find "$out/runs" -maxdepth 1 -name '*.json' ! -name '.*' | wc -l)
    leftovers=$(find "$out/runs" -maxdepth 1 -name '.*tmp*' | wc -l)
    rows=$(($(wc -l <"$out/results.csv") - 1))
    distinct=$(tail -n +2 "$out/results.csv" | cut -d, -f1 | sort -u | wc -l)
    echo "records $records, results.csv rows $rows, distinct runs $distinct, temporary records $leftovers (plan: $n runs)"
    [ "$records" = "$n" ] && [ "$rows" = "$n" ] && [ "$distinct" = "$n" ] || fail "$out: expected every one of the $n runs exactly once"
    [ "$leftovers" = 0 ] || fail "$out/runs holds temporary records"
    [ "$(tail -n +2 "$out/results.csv" | cut -d, -f4 | sort -u)" = ok ] || fail "$out: a run did not end ok"
}

# results.csv without the wall-time columns (train_seconds, eval_seconds, samples_per_second), sorted by run.
metric_columns() {
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^(train_seconds|eval_seconds|samples_per_second)\r?$/) skip[i] = 1 }
             { line = ""; for (i = 1; i <= NF; i++) if (!skip[i]) line = line $i ","; print line }' "$1" |
        { IFS= read -r header; echo "$header"; sort; }
}

# The cluster's reports equal those of one process running the whole spec with one thread.
check_same_as_one_process() {
    local spec=$1 out=$2 single=$3
    OPENBLAS_NUM_THREADS=1 "$MB" run "$spec" --threads 1 --out "$single" 2>"$single.log" || { cat "$single.log"; fail "one-process run failed"; }
    diff <(metric_columns "$single/results.csv") <(metric_columns "$out/results.csv") ||
        fail "results.csv metrics differ between the cluster and one process"
    cmp "$single/summary.csv" "$out/summary.csv" || fail "summary.csv differs between the cluster and one process"
    cmp "$single/tables.md" "$out/tables.md" || fail "tables.md differs between the cluster and one process"
    echo "results.csv metric columns, summary.csv and tables.md equal a one-process run"
}

# ---- 1. the ci experiment as a job array of 3 shards -------------------------
say "1. experiments/ci.yaml as 3 array tasks + report job"
CI_RUNS=$("$MB" list experiments/ci.yaml --out "$T/none" | head -1 | grep -o '= [0-9]* run' | grep -o '[0-9]*')
submit experiments/ci.yaml "$T/ci"
wait_for_report 300 "$T/ci"
for i in 0 1 2; do
    [ "$(task_state $i)" = COMPLETED ] || fail "array task $i ended $(task_state $i)"
    [ -s "$T/ci/slurm/logs/ci-${ARRAY}_$i.out" ] || fail "no log for task $i"
done
grep -h 'done:' "$T"/ci/slurm/logs/ci-"${ARRAY}"_*.out
check_complete "$T/ci" "$CI_RUNS"
check_same_as_one_process experiments/ci.yaml "$T/ci" "$T/ci-single"

# ---- 2. a task killed mid-shard, then the same command again ------------------
say "2. a slower spec; cancel task 1 after its first run, then resubmit"
# Same sweep with more epochs and data, so that each run takes a few seconds.
sed -e 's/^name: ci$/name: ci-slow/' \
    -e 's/samples_per_class: 20, input_dim: 32/samples_per_class: 150, input_dim: 64/' \
    -e 's/epochs: 2,/epochs: 60,/' experiments/ci.yaml >"$T/ci-slow.yaml"
grep -q 'epochs: 60' "$T/ci-slow.yaml" || fail "could not derive the slow spec from experiments/ci.yaml"
SLOW_RUNS=$("$MB" list "$T/ci-slow.yaml" --out "$T/none" | head -1 | grep -o '= [0-9]* run' | grep -o '[0-9]*')
submit "$T/ci-slow.yaml" "$T/slow"
LOG1="$T/slow/slurm/logs/ci-slow-${ARRAY}_1.out"
t0=$SECONDS
until grep -q '^\[1/' "$LOG1" 2>/dev/null; do
    [ $((SECONDS - t0)) -lt 240 ] || fail "task 1 never finished a run"
    sleep 0.2
done
scancel "${ARRAY}_1"
echo "cancelled task ${ARRAY}_1 after: $(grep '^\[1/' "$LOG1")"
wait_for_report 600 "$T/slow"
[ "$(task_state 1)" = CANCELLED ] || fail "task 1 ended $(task_state 1), not CANCELLED: it finished before it was killed (make the slow spec slower)"
FIRST=$(find "$T/slow/runs" -maxdepth 1 -name '*.json' ! -name '.*' | wc -l)
echo "after the first submission: $FIRST of $SLOW_RUNS records"
[ "$FIRST" -lt "$SLOW_RUNS" ] || fail "no run was lost by the cancelled task"
(cd "$T/slow/runs" && sha256sum -- *.json) >"$T/first-records.sha256"

submit "$T/ci-slow.yaml" "$T/slow"
wait_for_report 600 "$T/slow"
for i in 0 1 2; do [ "$(task_state $i)" = COMPLETED ] || fail "resubmitted task $i ended $(task_state $i)"; done
grep -h 'done:' "$T"/slow/slurm/logs/ci-slow-"${ARRAY}"_*.out
(cd "$T/slow/runs" && sha256sum --quiet -c "$T/first-records.sha256") || fail "a finished record was rewritten by the resubmission"
echo "the $FIRST records of the first submission are unchanged"
check_complete "$T/slow" "$SLOW_RUNS"
check_same_as_one_process "$T/ci-slow.yaml" "$T/slow" "$T/slow-single"

# ---- 3. bad input ------------------------------------------------------------
say "3. bad input exits with status 2"
expect_usage_error() {
    local what=$1; shift
    set +e
    "$@" >/dev/null 2>"$T/err"
    local rc=$?
    set -e
    [ $rc = 2 ] || fail "$what: exit status $rc, expected 2"
    echo "$what -> $(cat "$T/err")"
}
expect_usage_error "--shards 0" "$MB" slurm experiments/ci.yaml --shards 0 --out "$T/bad"
expect_usage_error "--shards > runs" "$MB" slurm experiments/ci.yaml --shards $((CI_RUNS + 1)) --out "$T/bad"
expect_usage_error "unwritable --out" "$MB" slurm experiments/ci.yaml --out /proc/metricbench-results
expect_usage_error "--submit without sbatch" env PATH=/nonexistent "$MB" slurm experiments/ci.yaml --out "$T/bad" --submit

say "slurm-test passed"
