import ArgumentParser
import ExperimentHarness
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild results.csv, summary.csv, tables.md and plots from the run records of a results folder (merging shards).")

    @Argument(help: "The results folder (holds spec.yaml and runs/).") var directory: String
    @Option(help: "The experiment file, if not the folder's spec.yaml.") var spec: String?

    func run() throws {
        try reportingErrors {
            try OptionChecks.resultsFolder(directory, option: "DIRECTORY")
            let files = try writeReports(directory: directory, spec: spec)
            print(describeWritten(files, in: directory))
        }
    }
}

/// Loads the spec and records of `directory` and writes every report; returns the files written.
func writeReports(directory: String, spec: String? = nil, log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws -> [String] {
    let specPath = spec ?? directory + "/spec.yaml"
    guard FileManager.default.fileExists(atPath: specPath) else {
        throw UsageFailure("\(specPath): no such file; a results folder written by 'metricbench run' holds a copy of its spec (or pass --spec)")
    }
    var plan = try ExperimentPlan(SpecParser.load(specPath))
    let store = try RunStore(directory: directory)
    // A tuned spec's runs are the chosen configurations, read off the trial records.
    var tuning: TuningReport?
    if plan.spec.tune != nil {
        let report = try TuningReport.load(plan, directory: directory)
        plan = report.finalPlan
        tuning = report
    }
    let (records, problems) = store.records()
    problems.forEach(log)
    let set = ResultSet(plan: plan, records: records)
    try KernelMismatch.check(Array(set.records.values), directory: directory)
    if !set.unmatched.isEmpty {
        log("warning: \(set.unmatched.count) of \(records.count) record(s) in \(store.runsDirectory) match no planned run of \(specPath); they are listed at the end of results.csv and left out of the summary:")
        for u in set.unmatched { log("  \(u.record.key): \(u.reason)") }
    }
    return try ReportWriter.write(set, to: directory, extra: tuning.map { $0.files(set) } ?? [])
}

/// "wrote DIR/results.csv, DIR/summary.csv, DIR/tables.md and 12 plots in DIR/plots".
func describeWritten(_ files: [String], in directory: String) -> String {
    let plots = files.filter { $0.hasPrefix("plots/") }
    var text = "wrote " + files.filter { !$0.hasPrefix("plots/") }.map { directory + "/" + $0 }.joined(separator: ", ")
    if !plots.isEmpty { text += " and \(plots.count) plot(s) in \(directory)/plots" }
    return text
}
