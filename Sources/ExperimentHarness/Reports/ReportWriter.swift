import Foundation

/// Writes every report of a results folder from its run records.
public enum ReportWriter {
    /// Writes `results.csv`, `summary.csv`, `tables.md` and `plots/*.svg` into `directory`; returns the file names, relative to it.
    ///
    /// `plots/` is entirely generated: SVG files in it that the current records no longer produce are removed.
    @discardableResult
    /// `extra` are more files (name relative to `directory`, text), e.g. the tuning report and its plots.
    public static func write(_ set: ResultSet, to directory: String, extra: [(String, String)] = []) throws -> [String] {
        var files: [(String, String)] = [
            ("results.csv", CSVReport.results(set)),
            ("summary.csv", CSVReport.summary(set)),
            ("tables.md", MarkdownTables.render(set)),
        ]
        let plots = PlotReport.plots(set)
        files += plots.map { ("plots/" + $0.name, $0.svg) }
        files += extra
        let plotDirectory = directory + "/plots"
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: plotDirectory, withIntermediateDirectories: true)
            let current = Set(files.map(\.0).filter { $0.hasPrefix("plots/") }.map { String($0.dropFirst(6)) })
            for old in try fm.contentsOfDirectory(atPath: plotDirectory) where old.hasSuffix(".svg") && !current.contains(old) {
                // `try?`: another process writing the reports of this folder may have removed it first.
                try? fm.removeItem(atPath: plotDirectory + "/" + old)
            }
        } catch {
            throw SpecError(file: plotDirectory, line: nil, key: "", message: "cannot prepare the plots folder: \(error.localizedDescription)")
        }
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
