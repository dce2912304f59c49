import ArgumentParser
import ExperimentHarness
import Foundation
import NumericCore

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every variant × seed of an experiment that has no record yet, then write the reports.",
        discussion: """
            Each finished run is written atomically to OUT/runs/<variant-id>-s<seed>.json, so an \
            interrupted sweep (even kill -9) resumes where it stopped. Runs that diverge are recorded \
            as such and the sweep goes on.
            """)

    @Argument(help: "The experiment file (YAML).") var spec: String
    @Option(help: "Runs trained at once; the BLAS threads are divided among them.") var jobs: Int = 1
    @Option(help: "Total BLAS threads (default: OPENBLAS_NUM_THREADS, else 2).") var threads: Int?
    @Option(help: "Run only shard I of N (0-based, e.g. 0/4): every N-th run of the plan, for job arrays.") var shard: String?
    @Option(help: "Results folder (default results/<experiment name>).") var out: String?
    @Flag(help: "Run again even runs that are finished.") var force = false
    @Flag(help: "Do not write the reports at the end (shards leave that to 'metricbench report').") var noReport = false

    func run() throws {
        try reportingErrors {
            // Everything is checked before the folder is touched: bad input exits 2 and changes nothing.
            var options = RunnerOptions()
            try OptionChecks.atLeastOne(jobs, "--jobs")
            if let threads { try OptionChecks.atLeastOne(threads, "--threads") }
            options.jobs = jobs
            options.threads = try threads ?? defaultThreads()
            options.force = force
            let display = ProgressDisplay.forStandardError()
            options.progress = { display.update($0) }
            if let s = shard { options.shard = try parseShard(s) }
            let plan = try ExperimentPlan(SpecParser.load(spec))
            let dir = out ?? "results/\(plan.spec.name)"
            try OptionChecks.resultsFolder(dir)
            guard let specData = FileManager.default.contents(atPath: spec) else { throw UsageFailure("\(spec): cannot be read") }

            // Folds that the training classes cannot fill are bad input too: found before the folder exists.
            if plan.spec.tune != nil { try Tuner.check(plan) }
            let store = try RunStore(directory: dir)
            try copySpec(specData, to: dir)
            for s in plan.skipped { log(s.note) }
            let tally: RunTally
            do {
                defer { display.finish() }
                if plan.spec.tune != nil {
                    let outcome = try Tuner.run(plan, directory: dir, final: TrainingExecutor(), options: options, log: { log($0) })
                    let t = outcome.trials
                    log("tuning: \(t.ok) ok, \(t.diverged) diverged, \(t.failed) failed, \(t.alreadyDone) already done (of \(t.selected) selected trial runs)\(outcome.complete ? "" : "; some searches wait for other shards")")
                    tally = outcome.finals
                } else {
                    tally = try Runner.run(plan, store: store, executor: TrainingExecutor(), options: options, log: { log($0) })
                }
            }
            log("done: \(tally.ok) ok, \(tally.diverged) diverged, \(tally.failed) failed, \(tally.alreadyDone) already done (of \(tally.selected) selected)")
            if !noReport {
                let files = try writeReports(directory: dir)
                log(describeWritten(files, in: dir))
            }
            if tally.failed > 0 { throw ExitCode(1) }
        }
    }

    /// Keeps the spec with the records: `report` reads OUT/spec.yaml to tell which variant each record is.
    func copySpec(_ data: Data, to dir: String) throws {
        let target = dir + "/spec.yaml"
        if FileManager.default.contents(atPath: target) == data { return }
        try data.write(to: URL(fileURLWithPath: target), options: .atomic)
    }
}

@Sendable func log(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// "I/N" with 0 ≤ I < N.
func parseShard(_ text: String) throws -> (index: Int, count: Int) {
    let parts = text.split(separator: "/")
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n, text.filter({ $0 == "/" }).count == 1 else {
        throw UsageFailure("--shard must be I/N with 0 ≤ I < N, e.g. 0/4; got '\(text)'")
    }
    return (i, n)
}

/// BLAS threads from OPENBLAS_NUM_THREADS, else 2 (this project's reference machine).
func defaultThreads() throws -> Int {
    guard let s = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"], !s.isEmpty else { return 2 }
    guard let n = Int(s), n >= 1 else { throw UsageFailure("OPENBLAS_NUM_THREADS='\(s)' is not a positive integer") }
    return n
}
