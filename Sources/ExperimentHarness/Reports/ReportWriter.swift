import Foundation

/// Writes every report of a results folder from its run records.
public enum ReportWriter {
    /// Writes `results.csv`, `summary.csv`, `tables.md` and `plots/*.svg` into `directory`; returns the file names, relative to it.
    ///
    /// `plots/` is entirely generated: SVG files in it that the current records no longer produce are removed.
    @discardableResult
    public static func write(_ set: ResultSet, to directory: String) throws -> [String] {
        var files: [(String, String)] = [
            ("results.csv", CSVReport.results(set)),
            ("summary.csv", CSVReport.summary(set)),
            ("tables.md", MarkdownTables.render(set)),
        ]
        let plots = PlotReport.plots(set)
        files += plots.map { ("plots/" + $0.name, $0.svg) }
        let plotDirectory = directory + "/plots"
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: plotDirectory, withIntermediateDirectories: true)
            let current = Set(plots.map(\.name))
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
