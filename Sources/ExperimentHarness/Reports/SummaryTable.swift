import Foundation

/// The per-variant rows of a `summary.csv` (CSVReport.summary): what `ResultComparison` compares.
public struct SummaryTable: Sendable, Equatable {
    /// One metric of one variant: mean, std and 95% CI half-width over its successful seeds.
    public struct Stats: Sendable, Equatable {
        /// nil when no seed succeeded (an empty cell).
        public var mean: Double?
        public var std: Double?
        public var ci95: Double?
        public var n: Int

        public init(mean: Double?, std: Double?, ci95: Double?, n: Int) {
            self.mean = mean
            self.std = std
            self.ci95 = ci95
            self.n = n
        }
    }

    public struct Row: Sendable, Equatable {
        public var variantID: String
        /// Axis name → value (`loss` → `triplet`), in the file's column order.
        public var axes: [(name: String, value: String)]
        /// Runs recorded, ok, diverged, failed.
        public var counts: [Int]
        public var metrics: [String: Stats]

        public static func == (a: Row, b: Row) -> Bool {
            a.variantID == b.variantID && a.axes.map(\.name) == b.axes.map(\.name) && a.axes.map(\.value) == b.axes.map(\.value)
                && a.counts == b.counts && a.metrics == b.metrics
        }
    }

    /// In the file's order.
    public var rows: [Row]
    /// The metrics, in the file's column order.
    public var metrics: [String]

    public init(rows: [Row], metrics: [String]) {
        self.rows = rows
        self.metrics = metrics
    }

    /// Parses the text of a `summary.csv`; `path` names the file in errors.
    public init(csv: String, path: String) throws {
        let table = RegressionCheck.parseCSV(csv)
        guard let header = table.first, header.first == "variant_id", let runsColumn = header.firstIndex(of: "runs"),
              runsColumn + 4 <= header.count,
              Array(header[runsColumn..<runsColumn + 4]) == ["runs", "ok", "diverged", "failed"] else {
            throw SpecError(file: path, line: 1, key: "", message: "not a summary.csv written by metricbench (the header must start with variant_id and hold runs, ok, diverged, failed); rebuild it with 'metricbench report DIR'")
        }
        let axisNames = Array(header[1..<runsColumn])
        let metricColumns = header.indices.filter { header[$0].hasSuffix("_mean") }
        metrics = metricColumns.map { String(header[$0].dropLast(5)) }
        rows = []
        for (i, cells) in table.enumerated().dropFirst() where !(cells.count == 1 && cells[0].isEmpty) {
            guard cells.count == header.count else {
                throw SpecError(file: path, line: i + 1, key: "", message: "\(cells.count) cells where the header has \(header.count); the file is damaged, rebuild it with 'metricbench report DIR'")
            }
            func number(_ column: Int) throws -> Double? {
                let text = cells[column]
                if text.isEmpty { return nil }
                guard let v = Double(text) else {
                    throw SpecError(file: path, line: i + 1, key: header[column], message: "'\(text)' is not a number")
                }
                return v
            }
            var counts: [Int] = []
            for c in runsColumn..<runsColumn + 4 {
                guard let v = Int(cells[c]) else {
                    throw SpecError(file: path, line: i + 1, key: header[c], message: "'\(cells[c])' is not a whole number")
                }
                counts.append(v)
            }
            var stats: [String: Stats] = [:]
            for (metric, column) in zip(metrics, metricColumns) {
                let n = column + 3 < header.count ? Int(cells[column + 3]) ?? 0 : 0
                stats[metric] = Stats(mean: try number(column), std: try number(column + 1), ci95: try number(column + 2), n: n)
            }
            rows.append(Row(variantID: cells[0], axes: zip(axisNames, cells[1..<runsColumn]).map { ($0, $1) },
                            counts: counts, metrics: stats))
        }
    }
}
