import Foundation

/// The `sbatch` scripts of a sweep on Slurm: a job array whose task `i` runs
/// shard `i/N` of the plan, and a report job that runs after the whole array
/// (`--dependency=afterany`), however its tasks ended.
///
/// Re-submitting both after a failure runs only the missing runs: shards are
/// a fixed partition of the plan, and `metricbench run` skips every run that
/// already has a record. Pure functions of the options; nothing is read or written.
public enum SlurmScript {
    /// Array tasks for `runCount` runs when the user does not say: one run per
    /// task up to 32 tasks, beyond that shards of several runs (a scheduler
    /// handles a few dozen tasks better than thousands of tiny ones).
    public static func defaultShards(runCount: Int) -> Int { max(1, min(runCount, 32)) }

    /// A generous wall-clock limit for a shard of `runsPerShard` runs, each
    /// estimated at `secondsPerRun` on one CPU: twice the estimate, rounded up
    /// to 5 minutes, at least 10 minutes. Always `HH:MM:SS` (hours may exceed 24).
    public static func defaultTime(runsPerShard: Int, secondsPerRun: Double) -> String {
        let seconds = 2 * Double(max(1, runsPerShard)) * max(1, secondsPerRun)
        let minutes = max(10, Int((seconds / 60 / 5).rounded(.up)) * 5)
        return String(format: "%02d:%02d:00", minutes / 60, minutes % 60)
    }

    /// The runs of the largest shard: `⌈runs / shards⌉`.
    public static func runsPerShard(runCount: Int, shards: Int) -> Int {
        precondition(shards >= 1)
        return (runCount + shards - 1) / shards
    }

    /// Throws unless `options` can make a working job.
    public static func validate(_ o: SlurmJobOptions) throws {
        guard o.runCount >= 1 else { throw SlurmError("the experiment has no runs: nothing to submit") }
        guard o.shards >= 1 else { throw SlurmError("--shards must be at least 1; got \(o.shards)") }
        guard o.shards <= o.runCount else {
            throw SlurmError("--shards \(o.shards) is more than the \(o.runCount) run(s) of the experiment; use at most \(o.runCount)")
        }
        if let first = o.firstTuningStage {
            guard first >= 1, first <= o.runCount else { throw SlurmError("the first tuning stage has \(first) run(s) of \(o.runCount): nothing to shard") }
            guard o.shards <= first else {
                throw SlurmError("--shards \(o.shards) is more than the \(first) trial run(s) of the first tuning stage, the only part of a tuned experiment that is sharded; use at most \(first)")
            }
        }
        guard o.cpusPerTask >= 1 else { throw SlurmError("--cpus-per-task must be at least 1; got \(o.cpusPerTask)") }
        guard isWallTime(o.time) else {
            throw SlurmError("--time must be HH:MM:SS (or D-HH:MM:SS), e.g. 02:00:00; got '\(o.time)'")
        }
        if let p = o.partition {
            guard !p.isEmpty, p.allSatisfy({ $0.isLetter || $0.isNumber || "-_.,".contains($0) }) else {
                throw SlurmError("--partition must be a partition name such as 'cpu' (see sinfo); got '\(p)'")
            }
        }
        for (what, path) in [("the metricbench binary", o.executable), ("the experiment file", o.spec), ("--out", o.out)] {
            guard path.hasPrefix("/") else { throw SlurmError("\(what) must be an absolute path for the compute nodes; got '\(path)'") }
            // Slurm expands % in --output and cannot quote a newline or a double quote in an #SBATCH line.
            guard !path.contains(where: { $0 == "\n" || $0 == "\"" || $0 == "%" }) else {
                throw SlurmError("\(what) '\(path)' holds a newline, '\"' or '%', which sbatch scripts cannot carry; use another path")
            }
        }
        guard !o.experiment.isEmpty, !o.experiment.contains("/") else {
            throw SlurmError("the experiment name '\(o.experiment)' cannot name a file")
        }
    }

    /// The job-array script: task `i` runs shard `i/N` with one BLAS thread per allocated CPU.
    public static func arrayScript(_ o: SlurmJobOptions) throws -> String {
        try validate(o)
        return """
            #!/bin/bash
            \(header(o))
            #
            # Submit this array, then the report job after it (\(o.submitScriptPath) does both):
            #   ARRAY=$(sbatch --parsable \(shellQuoted(o.arrayScriptPath)))
            #   sbatch --parsable --dependency=afterany:${ARRAY%%;*} \(shellQuoted(o.reportScriptPath))
            # After a failure (a node died, a task hit its time limit) submit both again:
            # finished runs are skipped, only the missing ones run.
            #
            # Change the #SBATCH lines below to suit your cluster; "##SBATCH" lines are off.
            #SBATCH --job-name=\(jobName(o))
            #SBATCH --array=0-\(o.shards - 1)
            # Partition (queue) to run in; `sinfo` lists them.
            \(partitionLine(o))
            # Wall-clock limit of one task (one shard); raise it if tasks time out.
            #SBATCH --time=\(o.time)
            # CPUs of one task: the BLAS threads of the shard follow SLURM_CPUS_PER_TASK.
            #SBATCH --cpus-per-task=\(o.cpusPerTask)
            #SBATCH --nodes=1
            #SBATCH --ntasks=1
            # Memory of one task, if your cluster wants it said:
            ##SBATCH --mem=4G
            # One log per task: <array job id>_<task id>.
            #SBATCH --output=\(sbatchValue(o.logDirectory + "/\(o.experiment)-%A_%a.out"))

            set -euo pipefail

            # Environment on the compute nodes: metricbench links OpenBLAS and the Swift
            # runtime dynamically, so load them here if your cluster uses modules, e.g.
            #   module load openblas swift
            # Pin OpenBLAS's kernels when nodes have different x86 CPUs, so every node
            # computes the same numbers (the Makefile does this too):
            #   export OPENBLAS_CORETYPE=Haswell

            METRICBENCH=\(shellQuoted(o.executable))
            SPEC=\(shellQuoted(o.spec))
            OUT=\(shellQuoted(o.out))   # must be on a filesystem every node shares
            SHARDS=\(o.shards)

            : "${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array task}"
            THREADS="${SLURM_CPUS_PER_TASK:-1}"
            export OPENBLAS_NUM_THREADS="$THREADS"

            exec "$METRICBENCH" run "$SPEC" --shard "$SLURM_ARRAY_TASK_ID/$SHARDS" --out "$OUT" --no-report --threads "$THREADS"

            """
    }

    /// The array script's opening comment: what a task runs. An untuned plan is a fixed list of
    /// runs cut into disjoint shards. A tuned one (`tune:`) is cut only in its first stage; which
    /// later trials and final runs exist depends on those scores, so every task that finds them
    /// ready takes them up through run claims (`Tuner.stageOptions`).
    static func header(_ o: SlurmJobOptions) -> String {
        let perShard = runsPerShard(runCount: o.runCount, shards: o.shards)
        guard let first = o.firstTuningStage else {
            return """
                # MetricBench on Slurm: experiment '\(o.experiment)', \(o.runCount) run(s) in \(o.shards) shard(s)
                # (at most \(perShard) run(s) each). Task i of the array runs shard i/\(o.shards) of the plan;
                # the shards are disjoint, so no two tasks write the same run record.
                """
        }
        return """
            # MetricBench on Slurm: experiment '\(o.experiment)', tuned: up to \(o.runCount) trial and final run(s)
            # in \(o.shards) shard(s). Task i of the array runs shard i/\(o.shards) of the first tuning stage's
            # \(first) trial run(s) (halving's first rung, or tpe's random start-up wave). The later
            # stages and the final runs depend on those scores, so they are not sharded: every task that
            # finds them ready takes them up, each run claimed by one task (none trains twice, no two
            # tasks write the same record).
            # A task whose next stage still waits for trials another task is running ends early and says so
            # in its log; if the report job then lists missing runs, submit the array again to run them.
            """
    }

    /// The report job: merges every record in `OUT/runs` into the reports and
    /// lists which runs are finished (a resubmission runs the rest).
    public static func reportScript(_ o: SlurmJobOptions) throws -> String {
        try validate(o)
        return """
            #!/bin/bash
            # MetricBench on Slurm: the reports of experiment '\(o.experiment)'. Submit it after the
            # array job, with --dependency=afterany:<array job id>, so it runs however the tasks
            # ended; it reports the runs that have records and lists the ones still missing.
            #SBATCH --job-name=\(jobName(o))-report
            # Partition (queue) to run in; `sinfo` lists them.
            \(partitionLine(o))
            #SBATCH --time=00:30:00
            #SBATCH --cpus-per-task=1
            #SBATCH --nodes=1
            #SBATCH --ntasks=1
            #SBATCH --output=\(sbatchValue(o.logDirectory + "/\(o.experiment)-report-%j.out"))

            set -euo pipefail

            # Environment on the compute nodes (see the array script), e.g.
            #   module load openblas swift

            METRICBENCH=\(shellQuoted(o.executable))
            SPEC=\(shellQuoted(o.spec))
            OUT=\(shellQuoted(o.out))

            "$METRICBENCH" report "$OUT"
            "$METRICBENCH" list "$SPEC" --out "$OUT"

            """
    }

    /// The two `sbatch` calls, as a script that prints the job ids
    /// (`submit.sh`; `metricbench slurm --submit` does the same itself).
    public static func submitScript(_ o: SlurmJobOptions) throws -> String {
        try validate(o)
        return """
            #!/bin/bash
            # Submits the '\(o.experiment)' job array and its report job; prints both job ids.
            # Run it again after a failure: only the missing runs are computed.
            set -euo pipefail
            ARRAY=$(sbatch --parsable \(shellQuoted(o.arrayScriptPath)))
            ARRAY=${ARRAY%%;*}   # --parsable prints "id" or "id;cluster"
            REPORT=$(sbatch --parsable --dependency=afterany:$ARRAY \(shellQuoted(o.reportScriptPath)))
            echo "array job $ARRAY (\(o.shards) task(s)), report job ${REPORT%%;*}"

            """
    }

    /// The arguments of `sbatch` for the report job, after array job `arrayJobID`.
    public static func reportSubmitArguments(_ o: SlurmJobOptions, arrayJobID: String) -> [String] {
        ["--parsable", "--dependency=afterany:\(arrayJobID)", o.reportScriptPath]
    }

    /// The job id in `sbatch --parsable` output (`id` or `id;cluster`), if any.
    public static func parseJobID(_ output: String) -> String? {
        let line = output.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        let id = String(line.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces)
        return !id.isEmpty && id.allSatisfy(\.isNumber) ? id : nil
    }

    /// `[D-]HH:MM:SS` with minutes and seconds below 60.
    static func isWallTime(_ text: String) -> Bool {
        var rest = Substring(text)
        if let dash = rest.firstIndex(of: "-") {
            guard !rest[..<dash].isEmpty, rest[..<dash].allSatisfy(\.isASCII), Int(rest[..<dash]) != nil else { return false }
            rest = rest[rest.index(after: dash)...]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return false }
        return parts[1].count == 2 && parts[2].count == 2 && Int(parts[1])! < 60 && Int(parts[2])! < 60
    }

    static func jobName(_ o: SlurmJobOptions) -> String {
        "mb-" + String(o.experiment.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    static func partitionLine(_ o: SlurmJobOptions) -> String {
        o.partition.map { "#SBATCH --partition=\($0)" } ?? "##SBATCH --partition=CHANGE_ME"
    }

    /// A value for an `#SBATCH` line: sbatch splits these lines at blanks unless double-quoted.
    static func sbatchValue(_ s: String) -> String {
        s.contains(where: { $0 == " " || $0 == "\t" }) ? "\"\(s)\"" : s
    }

    /// `s` as one bash word.
    static func shellQuoted(_ s: String) -> String {
        let plain = s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/._-+=:,@".contains($0)) }
        return plain && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
