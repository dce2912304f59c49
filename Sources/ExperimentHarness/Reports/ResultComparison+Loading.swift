import Foundation

extension ResultComparison {
    /// What `compare` needs from one results folder: its `summary.csv` and, when it has a `runs/` folder, its run values.
    public struct Folder: Sendable {
        public var summary: SummaryTable
        public var runs: [String: RunValues]?

        public init(summary: SummaryTable, runs: [String: RunValues]?) {
            self.summary = summary
            self.runs = runs
        }

        /// Reads `directory/summary.csv` and `directory/runs/*.json`.
        ///
        /// - Throws: `SpecError` naming the folder when it or its `summary.csv` is missing or unreadable.
        public static func load(_ directory: String) throws -> Folder {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SpecError(file: directory, line: nil, key: "", message: "no such results folder")
            }
            let path = directory + "/summary.csv"
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw SpecError(file: path, line: nil, key: "", message: "no summary.csv; write it from the run records with 'metricbench report \(directory)'")
            }
            let summary = try SummaryTable(csv: text, path: path)
            let runsDirectory = directory + "/runs"
            guard FileManager.default.fileExists(atPath: runsDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
                return Folder(summary: summary, runs: nil)
            }
            let (records, problems) = try RunStore(directory: directory).records()
            if let problem = problems.first {
                throw SpecError(file: runsDirectory, line: nil, key: "", message: problem)
            }
            // Only the runs of the summary's variants: a record left by an edited spec is not part of the results.
            let variants = Set(summary.rows.map(\.variantID))
            var runs: [String: RunValues] = [:]
            for r in records where variants.contains(r.variantID) {
                runs[r.key] = RunValues(status: r.status.rawValue, metrics: r.metrics)
            }
            return Folder(summary: summary, runs: runs)
        }
    }

    /// Compares two loaded folders (run values too, when both have them).
    public static func compare(_ a: Folder, _ b: Folder, metrics: [String]? = nil) -> ResultComparison {
        compare(a.summary, b.summary, metrics: metrics, runsA: a.runs, runsB: b.runs)
    }
}
