import Foundation
import SwiftCSV

/// The per-variant rows of a `summary.csv` (CSVReport.summary): what `ResultComparison` compares
/// and `RegressionCheck` holds results to.
///
/// Read strictly (RFC 4180, by SwiftCSV), because a row a check skips is a
/// regression it cannot report: a row with a different number of fields than
/// the header, a duplicated column or variant, a statistic that is not a
/// finite number, a quote left open — each is an error naming the file and line.
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
        /// 1-based line of the row in its file.
        public var line: Int = 0

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

    /// The row of `variantID`, if the table has one.
    public func row(_ variantID: String) -> Row? { rows.first { $0.variantID == variantID } }

    /// Parses the text of a `summary.csv`; `path` names the file in errors.
    public init(csv: String, path: String) throws {
        let table = try Self.records(csv, path: path)
        guard let header = table.first?.fields, header.first == "variant_id", let runsColumn = header.firstIndex(of: "runs"),
              runsColumn + 4 <= header.count,
              Array(header[runsColumn..<runsColumn + 4]) == ["runs", "ok", "diverged", "failed"] else {
            throw SpecError(file: path, line: 1, key: "", message: "not a summary.csv written by metricbench (the header must start with variant_id and hold runs, ok, diverged, failed); rebuild it with 'metricbench report DIR'")
        }
        var seen = Set<String>()
        for name in header where !seen.insert(name).inserted {
            throw SpecError(file: path, line: 1, key: name, message: "the column appears twice in the header")
        }
        let axisNames = Array(header[1..<runsColumn])
        let metricColumns = header.indices.filter { header[$0].hasSuffix("_mean") }
        metrics = metricColumns.map { String(header[$0].dropLast(5)) }
        rows = []
        var firstLine: [String: Int] = [:]
        for (cells, line) in table.dropFirst() {
            // A blank line (the parser's one empty field) carries nothing.
            if cells == [""] { continue }
            guard cells.count == header.count else {
                throw SpecError(file: path, line: line, key: "", message: "\(cells.count) field(s) where the header has \(header.count); the file is damaged, rebuild it with 'metricbench report DIR'")
            }
            let id = cells[0]
            guard !id.isEmpty else { throw SpecError(file: path, line: line, key: "variant_id", message: "empty") }
            if let first = firstLine[id] {
                throw SpecError(file: path, line: line, key: "variant_id", message: "'\(id)' appears twice (first on line \(first))")
            }
            firstLine[id] = line
            func number(_ column: Int) throws -> Double? {
                let text = cells[column].trimmingCharacters(in: .whitespaces)
                if text.isEmpty { return nil }
                guard let v = Double(text), v.isFinite else {
                    throw SpecError(file: path, line: line, key: header[column], message: "'\(cells[column])' is not a finite number")
                }
                return v
            }
            var counts: [Int] = []
            for c in runsColumn..<runsColumn + 4 {
                guard let v = Int(cells[c]), v >= 0 else {
                    throw SpecError(file: path, line: line, key: header[c], message: "'\(cells[c])' is not a whole number ≥ 0")
                }
                counts.append(v)
            }
            var stats: [String: Stats] = [:]
            for (metric, column) in zip(metrics, metricColumns) {
                // By name, not by position after the mean: a hand-edited file may lack or reorder them.
                let std = header.firstIndex(of: metric + "_std"), ci95 = header.firstIndex(of: metric + "_ci95")
                let n = header.firstIndex(of: metric + "_n").flatMap { Int(cells[$0]) } ?? 0
                stats[metric] = Stats(mean: try number(column), std: try std.flatMap(number), ci95: try ci95.flatMap(number), n: n)
            }
            rows.append(Row(variantID: id, axes: zip(axisNames, cells[1..<runsColumn]).map { ($0, $1) },
                            counts: counts, metrics: stats, line: line))
        }
    }

    /// The records of `text`, each with the line it starts on (a quoted cell may span lines).
    static func records(_ text: String, path: String) throws -> [(fields: [String], line: Int)] {
        var records: [(fields: [String], line: Int)] = []
        var line = 1
        do {
            // rowLimit 1: the library's own table view pads short rows, which is exactly
            // what must be an error here; the raw rows come from enumerateAsArray.
            let csv = try EnumeratedCSV(string: text, delimiter: .comma, loadColumns: false, rowLimit: 1)
            try csv.enumerateAsArray(startAt: 0, rowLimit: nil) { fields in
                records.append((fields, line))
                line += 1 + fields.reduce(0) { $0 + $1.filter(\.isNewline).count }
            }
        } catch let e as CSVParseError {
            throw SpecError(file: path, line: nil, key: "", message: "not valid CSV: \(e)")
        }
        return records
    }
}
