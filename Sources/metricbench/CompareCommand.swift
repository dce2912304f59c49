import ArgumentParser
import ExperimentHarness
import Foundation

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two results folders: per variant and metric the two means, the difference, and whether it exceeds the seed noise.",
        discussion: """
            Reads A/summary.csv and B/summary.csv (and the run records of both, when both have runs/). \
            A mean moved beyond seed noise when Welch's t-test on its mean, std and n over seeds \
            gives a p-value that the Benjamini–Hochberg step over all compared means rejects at \
            q = 0.05; each move is shown against the larger 95% CI half-width of the two. \
            The last line is the verdict: bit-identical, identical within seed noise (what moved, by how \
            much, against its CI) or DIFFERENT (the list). Exit status 0 for bit-identical or within \
            noise, 1 for different, 2 for bad input.
            """)

    @Argument(help: "The reference results folder (e.g. the committed results/ablation).") var a: String
    @Argument(help: "The results folder to check against it.") var b: String
    @Flag(help: "Print JSON instead of markdown.") var json = false
    @Option(name: .customLong("metric"), help: "Compare only this metric (repeatable).") var metrics: [String] = []
    @Flag(help: "List only the means that moved (markdown).") var changed = false

    func run() throws {
        var verdict = ResultComparison.Verdict.bitIdentical
        try reportingErrors {
            let folderA = try ResultComparison.Folder.load(a)
            let folderB = try ResultComparison.Folder.load(b)
            for m in metrics where !folderA.summary.metrics.contains(m) && !folderB.summary.metrics.contains(m) {
                throw UsageFailure("--metric \(m): neither summary.csv has it; they have \(folderA.summary.metrics.joined(separator: ", "))")
            }
            let comparison = ResultComparison.compare(folderA, folderB, metrics: metrics.isEmpty ? nil : metrics)
            print(json ? try comparison.json(a: a, b: b) : comparison.markdown(a: a, b: b, changedOnly: changed), terminator: "")
            verdict = comparison.verdict
        }
        switch verdict {
        case .bitIdentical, .withinNoise: return
        case .different: throw ExitCode(1)
        }
    }
}
