import Foundation

/// Compares the metric means of a results folder with a baseline `summary.csv`.
///
/// A metric regresses when its mean drops by more than `tolerance` (absolute)
/// below the baseline's; a variant or metric that the baseline has and the
/// results lack is a failure too (a guard that silently checks nothing is worse than none).
public enum RegressionCheck {
    public struct Finding: Equatable, Sendable {
        public var variantID: String
        public var metric: String
        public var baseline: Double
        /// nil when the current results lack the value.
        public var current: Double?
    }

    public struct Outcome: Sendable {
        public var compared: Int
        public var regressions: [Finding]
        public var improvements: [Finding]
    }

    public static func compare(current: String, baseline: String, tolerance: Double, baselinePath: String) throws -> Outcome {
        let cur = try table(current, path: "summary.csv")
        let base = try table(baseline, path: baselinePath)
        var out = Outcome(compared: 0, regressions: [], improvements: [])
        for (id, row) in base.sorted(by: { $0.key < $1.key }) {
            for (column, text) in row.sorted(by: { $0.key < $1.key }) where column.hasSuffix("_mean") {
                guard let b = Double(text) else { continue }
                let metric = String(column.dropLast(5))
                let c = cur[id]?[column].flatMap(Double.init)
                out.compared += 1
                guard let c else {
                    out.regressions.append(Finding(variantID: id, metric: metric, baseline: b, current: nil))
                    continue
                }
                if c < b - tolerance { out.regressions.append(Finding(variantID: id, metric: metric, baseline: b, current: c)) }
                if c > b + tolerance { out.improvements.append(Finding(variantID: id, metric: metric, baseline: b, current: c)) }
            }
        }
        return out
    }

    /// variant_id → column → cell.
    static func table(_ text: String, path: String) throws -> [String: [String: String]] {
        let rows = parseCSV(text)
        guard let header = rows.first, let idColumn = header.firstIndex(of: "variant_id") else {
            throw SpecError(file: path, line: 1, key: "", message: "not a summary.csv (no 'variant_id' column)")
        }
        var out: [String: [String: String]] = [:]
        for r in rows.dropFirst() where r.count == header.count {
            out[r[idColumn]] = Dictionary(uniqueKeysWithValues: zip(header, r))
        }
        return out
    }

    /// RFC 4180 fields: quoted cells may hold commas, doubled quotes and line breaks.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var cell = ""
        var quoted = false
        var chars = Array(text).makeIterator()
        var pending: Character? = nil
        while let ch = pending ?? chars.next() {
            pending = nil
            if quoted {
                if ch == "\"" {
                    if let n = chars.next() {
                        if n == "\"" { cell.append("\"") } else { quoted = false; pending = n }
                    } else { quoted = false }
                } else { cell.append(ch) }
            } else if ch == "\"" {
                quoted = true
            } else if ch == "," {
                row.append(cell); cell = ""
            } else if ch == "\n" || ch == "\r\n" || ch == "\r" {
                row.append(cell); cell = ""
                rows.append(row); row = []
            } else {
                cell.append(ch)
            }
        }
        if !cell.isEmpty || !row.isEmpty { row.append(cell); rows.append(row) }
        return rows
    }
}
