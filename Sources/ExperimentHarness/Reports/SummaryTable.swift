import Foundation
import SwiftCSV

/// The metric means of a `summary.csv`, read strictly (RFC 4180, by SwiftCSV).
///
/// The file needs a `variant_id` column; every `<metric>_mean` column holds a
/// finite number or nothing (a variant without finished runs). Anything else
/// — a row with a different number of fields than the header, a duplicated
/// column or variant, a quote left open — is an error naming the file and
/// line, because a check that skips what it cannot read passes regressions.
public struct SummaryTable: Sendable {
    public struct Row: Sendable {
        public var variantID: String
        /// `<metric>_mean` column → mean (nil: empty cell).
        public var means: [String: Double?]
        /// 1-based line of the row in the file.
        public var line: Int
    }

    public var rows: [Row]
    private var index: [String: Int]

    public func row(_ variantID: String) -> Row? { index[variantID].map { rows[$0] } }

    public init(parsing text: String, path: String) throws {
        var records: [(fields: [String], line: Int)] = []
        var line = 1
        do {
            // rowLimit 1: the library's own table view pads short rows, which is
            // exactly what must be an error here; the raw rows come from enumerateAsArray.
            let csv = try EnumeratedCSV(string: text, delimiter: .comma, loadColumns: false, rowLimit: 1)
            try csv.enumerateAsArray(startAt: 0, rowLimit: nil) { fields in
                records.append((fields, line))
                line += 1 + fields.reduce(0) { $0 + $1.filter(\.isNewline).count }
            }
        } catch let e as CSVParseError {
            throw SpecError(file: path, line: nil, key: "", message: "not valid CSV: \(e)")
        }
        guard let header = records.first?.fields, !header.isEmpty, header != [""] else {
            throw SpecError(file: path, line: 1, key: "", message: "empty; a summary.csv starts with a header line naming 'variant_id' and the '<metric>_mean' columns")
        }
        var seen = Set<String>()
        for name in header where !seen.insert(name).inserted {
            throw SpecError(file: path, line: 1, key: name, message: "the column appears twice in the header")
        }
        guard let idColumn = header.firstIndex(of: "variant_id") else {
            throw SpecError(file: path, line: 1, key: "", message: "not a summary.csv (no 'variant_id' column)")
        }
        let meanColumns = header.indices.filter { header[$0].hasSuffix("_mean") }
        var rows: [Row] = []
        var index: [String: Int] = [:]
        for (fields, line) in records.dropFirst() {
            // A blank line (the parser's one empty field) carries nothing.
            if fields == [""] { continue }
            guard fields.count == header.count else {
                throw SpecError(file: path, line: line, key: "", message: "\(fields.count) field(s) where the header has \(header.count)")
            }
            let id = fields[idColumn]
            guard !id.isEmpty else { throw SpecError(file: path, line: line, key: "variant_id", message: "empty") }
            var means: [String: Double?] = [:]
            for c in meanColumns {
                let text = fields[c].trimmingCharacters(in: .whitespaces)
                if text.isEmpty { means[header[c]] = .some(nil); continue }
                guard let v = Double(text), v.isFinite else {
                    throw SpecError(file: path, line: line, key: header[c], message: "'\(fields[c])' is not a finite number")
                }
                means[header[c]] = v
            }
            guard index[id] == nil else {
                throw SpecError(file: path, line: line, key: "variant_id", message: "'\(id)' appears twice (first on line \(rows[index[id]!].line))")
            }
            index[id] = rows.count
            rows.append(Row(variantID: id, means: means, line: line))
        }
        self.rows = rows
        self.index = index
    }
}
