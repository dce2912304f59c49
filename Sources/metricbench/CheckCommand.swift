import ArgumentParser
import ExperimentHarness
import Foundation

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Fail (exit 1) when a metric of a results folder dropped below a baseline summary.csv.")

    @Argument(help: "The results folder (its reports are rebuilt from the run records first).") var directory: String
    @Option(help: "The baseline summary.csv.") var baseline: String
    @Option(help: "Allowed absolute drop of a metric mean (finite, ≥ 0); default: the baseline mean's 95% CI half-width (its measured seed variation), 0.02 for a one-seed baseline.") var tolerance: Double?

    func run() throws {
        var failed = false
        try reportingErrors {
            // The tolerance and the baseline are checked before the reports are rebuilt (bad input writes nothing).
            if let tolerance, !(tolerance.isFinite && tolerance >= 0) {
                throw UsageFailure("--tolerance must be a finite number ≥ 0, got \(tolerance)")
            }
            try OptionChecks.resultsFolder(directory, option: "DIRECTORY")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: baseline, isDirectory: &isDirectory), isDirectory.boolValue {
                throw UsageFailure("\(baseline): is a directory; give the baseline summary.csv")
            }
            guard let base = FileManager.default.contents(atPath: baseline).flatMap({ String(data: $0, encoding: .utf8) }) else {
                throw UsageFailure("\(baseline): cannot read the baseline (\(FileManager.default.fileExists(atPath: baseline) ? "not UTF-8 text" : "no such file"))")
            }
            _ = try SummaryTable(csv: base, path: baseline)
            _ = try writeReports(directory: directory)
            let currentPath = directory + "/summary.csv"
            let current = try String(contentsOfFile: currentPath, encoding: .utf8)
            let outcome = try RegressionCheck.compare(
                current: current, baseline: base, tolerance: tolerance, baselinePath: baseline, currentPath: currentPath)
            for f in outcome.regressions {
                let now = f.current.map { String(format: "%.4f", $0) } ?? "missing"
                print("REGRESSION \(f.variantID) \(f.metric): \(String(format: "%.4f", f.baseline)) → \(now)")
            }
            for f in outcome.improvements {
                print("improved   \(f.variantID) \(f.metric): \(String(format: "%.4f", f.baseline)) → \(String(format: "%.4f", f.current ?? .nan))")
            }
            let rule = tolerance.map { "tolerance \($0)" } ?? "each baseline mean's 95% CI as tolerance (\(RegressionCheck.fallbackTolerance) for one-seed means)"
            print("\(outcome.compared) metric mean(s) compared with \(rule): \(outcome.regressions.count) regression(s)")
            failed = !outcome.regressions.isEmpty || outcome.compared == 0
        }
        if failed { throw ExitCode(1) }
    }
}
