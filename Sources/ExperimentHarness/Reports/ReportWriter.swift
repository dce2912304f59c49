import Foundation

/// Writes every report of a results folder from its run records.
public enum ReportWriter {
    /// Writes `results.csv`, `summary.csv` and `tables.md` into `directory`; returns the file names.
    @discardableResult
    public static func write(_ set: ResultSet, to directory: String) throws -> [String] {
        let files: [(String, String)] = [
            ("results.csv", CSVReport.results(set)),
            ("summary.csv", CSVReport.summary(set)),
            ("tables.md", MarkdownTables.render(set)),
        ]
        for (name, text) in files {
            let path = directory + "/" + name
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw SpecError(file: path, line: nil, key: "", message: "cannot write: \(error.localizedDescription)")
            }
        }
        return files.map(\.0)
    }
}
