import ArgumentParser
import ExperimentHarness
import Foundation
import NumericCore
import Training

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Show what a dataset is (classes, samples per class, split, fingerprint, fonts) and draw a contact sheet.",
        discussion: """
            SPEC is an experiment file (its dataset section is used) or a dataset name \
            (\(DatasetRegistry.names.joined(separator: ", "))) with its defaults.
            """)

    @Argument(help: "An experiment file (YAML) or a dataset name.") var spec: String
    @Flag(help: "Print the summary as JSON.") var json = false
    @Option(help: "Write a contact sheet (SVG): rows are classes, columns typefaces (glyphs) or samples.") var sheet: String?
    @Option(help: "Classes (rows) on the contact sheet, half training and half test classes.") var rows = 16
    @Flag(help: "glyphs: render even when the cache holds the data, and do not store it.") var noCache = false

    func run() throws {
        try reportingErrors {
            let datasetSpec = try resolve(spec)
            let start = MonotonicClock.now()
            var glyphs: GlyphSet?
            var data: Dataset
            if let options = datasetSpec.options(as: GlyphOptions.self) {
                // The glyph set adds its fonts to the summary and draws one typeface per column.
                let g = try GlyphDataset.load(options, split: datasetSpec.split, cache: noCache ? nil : GlyphCache.user())
                glyphs = g
                data = g.dataset
            } else {
                data = try loadDataset(datasetSpec, cached: !noCache)
            }
            let seconds = MonotonicClock.seconds(since: start)
            let summary = DatasetSummary(spec: datasetSpec, data: data, glyphs: glyphs)
            if let sheet {
                let contact = try glyphs.map { ContactSheet(glyphs: $0, rows: rows) }
                    ?? ContactSheet(images: data, rows: rows, perClass: 16)
                do { try contact.svg().write(toFile: sheet, atomically: true, encoding: .utf8) } catch {
                    throw DataFileError(path: sheet, problem: "cannot be written (\(error.localizedDescription))")
                }
            }
            if json {
                print(summary.json())
            } else {
                print(summary.text())
                print(String(format: "loaded in %.2f s", seconds))
                if let sheet { print("contact sheet: \(sheet)") }
            }
        }
    }

    /// The dataset section of an experiment file, or the defaults of a named dataset.
    func resolve(_ argument: String) throws -> DatasetSpec {
        if let kind = DatasetKind(rawValue: argument), let registered = DatasetRegistry.dataset(kind) {
            let spec = DatasetSpec(erased: registered.defaults)
            do { try spec.validate() } catch let e as DatasetError {
                throw UsageFailure("the \(kind) dataset cannot be used with its defaults (\(e)): give an experiment file whose dataset section sets it")
            }
            return spec
        }
        guard FileManager.default.fileExists(atPath: argument) else {
            throw UsageFailure("\(argument) is neither an experiment file nor a dataset name (\(DatasetRegistry.names.joined(separator: ", ")))")
        }
        return try SpecParser.load(argument).dataset
    }
}
