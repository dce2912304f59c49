import ArgumentParser
import ExperimentHarness
import Foundation

struct SlurmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write (and with --submit, submit) a Slurm job array of shards plus a dependent report job.",
        discussion: """
            Task i of the array runs 'metricbench run SPEC --shard i/N --out OUT --no-report \
            --threads $SLURM_CPUS_PER_TASK'; a job submitted with --dependency=afterany on the array \
            then runs 'metricbench report OUT'. The scripts go to OUT/slurm/ (edit them freely), the \
            task logs to OUT/slurm/logs/. OUT must be on a filesystem every node shares. Submitting \
            again after a failure runs only the runs that have no record yet.
            """)

    @Argument(help: "The experiment file (YAML).") var spec: String
    @Option(help: "Array tasks, each running every N-th run (default: the run count, at most 32).") var shards: Int?
    @Option(help: "Slurm partition (default: the cluster's default partition).") var partition: String?
    @Option(help: "Wall-clock limit of one task, HH:MM:SS (default: a generous estimate from the spec).") var time: String?
    @Option(help: "CPUs (and BLAS threads) of one task.") var cpusPerTask: Int = 1
    @Option(help: "Results folder (default results/<experiment name>).") var out: String?
    @Flag(help: "Submit the jobs with sbatch and print their ids.") var submit = false

    func run() throws {
        try reportingErrors {
            if let shards { try OptionChecks.atLeastOne(shards, "--shards") }
            try OptionChecks.atLeastOne(cpusPerTask, "--cpus-per-task")
            let plan = try ExperimentPlan(SpecParser.load(spec))
            if let out { try OptionChecks.resultsFolder(out) }
            // A tuned spec's shards split its first stage's trials; the later stages and the final runs
            // are shared out by run claims, so they count toward each task's time too.
            var runCount = plan.runs.count
            var firstTuningStage: Int?
            if let tune = plan.spec.tune {
                let tuning = try TuningPlan(plan)
                runCount += tuning.searches.count * tuning.rungs.reduce(0) { $0 + $1.trials } * tune.folds
                firstTuningStage = tuning.runs(stage: 0, records: [:]).runs.count
            }
            let shardCount = shards ?? SlurmScript.defaultShards(runCount: firstTuningStage ?? runCount)
            var options = SlurmJobOptions(
                executable: try runningExecutable(), spec: absolute(spec),
                out: absolute(out ?? "results/\(plan.spec.name)"), experiment: plan.spec.name,
                runCount: runCount, shards: shardCount, partition: partition,
                time: time ?? "", cpusPerTask: cpusPerTask, firstTuningStage: firstTuningStage)
            if time == nil {
                options.time = SlurmScript.defaultTime(
                    runsPerShard: options.mostRunsOfOneTask, secondsPerRun: SlurmScript.estimatedSecondsPerRun(plan))
            }
            try SlurmScript.validate(options)
            let sbatch = submit ? try findSbatch() : nil
            try writeFiles(options)

            guard let sbatch else {
                print(try SlurmScript.arrayScript(options))
                print("# wrote \(options.arrayScriptPath), \(options.reportScriptPath) and \(options.submitScriptPath)")
                print("# submit with:")
                print("ARRAY=$(sbatch --parsable \(options.arrayScriptPath))")
                print("sbatch --parsable --dependency=afterany:${ARRAY%%;*} \(options.reportScriptPath)")
                print("# or: bash \(options.submitScriptPath)")
                return
            }
            let arrayID = try runSbatch(sbatch, ["--parsable", options.arrayScriptPath])
            let reportID = try runSbatch(sbatch, SlurmScript.reportSubmitArguments(options, arrayJobID: arrayID))
            print("array job \(arrayID): \(options.shards) task(s), logs in \(options.logDirectory)")
            print("report job \(reportID): runs after the array, writes \(options.out)/results.csv")
        }
    }

    /// The scripts, `logs/` (sbatch does not create the folders of --output) and the spec copy the report job reads.
    func writeFiles(_ o: SlurmJobOptions) throws {
        let files = [
            (o.arrayScriptPath, try SlurmScript.arrayScript(o)),
            (o.reportScriptPath, try SlurmScript.reportScript(o)),
            (o.submitScriptPath, try SlurmScript.submitScript(o)),
        ]
        do {
            try FileManager.default.createDirectory(atPath: o.logDirectory, withIntermediateDirectories: true)
            for (path, text) in files {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            }
            if let data = FileManager.default.contents(atPath: o.spec), FileManager.default.contents(atPath: o.out + "/spec.yaml") != data {
                try data.write(to: URL(fileURLWithPath: o.out + "/spec.yaml"), options: .atomic)
            }
        } catch {
            throw UsageFailure("cannot write the job scripts to \(o.slurmDirectory): \(error.localizedDescription); pass a writable --out")
        }
        guard FileManager.default.isWritableFile(atPath: o.logDirectory) else {
            throw UsageFailure("\(o.logDirectory) is not writable; pass a writable --out")
        }
    }

    /// Runs sbatch; returns the job id it prints.
    func runSbatch(_ sbatch: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sbatch)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let id = SlurmScript.parseJobID(out) else {
            let said = (err + out).trimmingCharacters(in: .whitespacesAndNewlines)
            throw UsageFailure("sbatch \(arguments.joined(separator: " ")) failed (status \(process.terminationStatus))\(said.isEmpty ? "" : ": " + said)")
        }
        return id
    }
}

/// `path` made absolute against the current directory, with `.` and `..` resolved.
func absolute(_ path: String) -> String {
    let base = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    return URL(fileURLWithPath: base).standardizedFileURL.path
}

/// The absolute path of this metricbench binary, for the compute nodes to run.
func runningExecutable() throws -> String {
    if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), target.hasPrefix("/") {
        return target
    }
    let argv0 = CommandLine.arguments[0]
    if argv0.contains("/") { return absolute(argv0) }
    if let found = searchPath(for: argv0) { return found }
    throw UsageFailure("cannot tell where the metricbench binary is; run it by its path")
}

/// `sbatch` on PATH, or a clear error.
func findSbatch() throws -> String {
    guard let path = searchPath(for: "sbatch") else {
        throw UsageFailure("--submit needs sbatch, which is not on PATH; run this on a Slurm login node, or leave out --submit and submit the written scripts yourself")
    }
    return path
}

/// The first executable `name` in the folders of PATH.
func searchPath(for name: String) -> String? {
    let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    return folders.map { String($0) + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
}
