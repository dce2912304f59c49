import Foundation
import Testing
import NumericCore
import Training
@testable import ExperimentHarness

@Test func glyphOptionsAreReadFromTheDatasetSection() throws {
    let spec = try SpecParser.parse("""
        dataset: { name: glyphs, classes: 400, train_classes: 300, size: 24, min_fonts: 12, jitter: false,
                   fonts: { include: [Noto, Kai], exclude: [Mono] }, dedup: false, seed: 9 }
        model: { kind: mlp }
        """, file: "g.yaml")
    #expect(spec.dataset.kind == .glyphs)
    #expect(spec.dataset.options(as: GlyphOptions.self) == GlyphOptions(
        classes: 400, trainClasses: 300, size: 24, minFonts: 12, jitter: false,
        include: ["Noto", "Kai"], exclude: ["Mono"], dedup: false, seed: 9))
    #expect(spec.dataset.facts.trainClasses == 300)
    let defaults = try SpecParser.parse("dataset: { name: glyphs }\nmodel: { kind: mlp }", file: "d.yaml")
    #expect(defaults.dataset.options(as: GlyphOptions.self) == GlyphOptions())
    #expect(defaults.dataset.facts.trainClasses == 1500)
}

@Test func badGlyphOptionsNameTheKey() {
    #expect(parseError("dataset: { name: glyphs, split: same-classes }\nmodel: { kind: mlp }")?.key == "split")
    #expect(parseError("dataset: { name: glyphs, classes: 10, train_classes: 10 }\nmodel: { kind: mlp }")?.key == "train_classes")
    #expect(parseError("dataset: { name: glyphs, fonts: { only: [Noto] } }\nmodel: { kind: mlp }")?.key == "only")
    #expect(parseError("dataset: { name: glyphs, min_fonts: 1 }\nmodel: { kind: mlp }")?.key == "min_fonts")
    #expect(parseError("dataset: { name: glyphs, input_dim: 3 }\nmodel: { kind: mlp }")?.key == "input_dim")
}

@Test func otherDatasetsEncodeNoGlyphOptions() throws {
    // Variant ids hash the encoded configuration: the new field must not appear for the old kinds.
    for spec in [DatasetSpec.fashionMNIST(), DatasetSpec.synthetic()] {
        let json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        #expect(!json.contains("glyphs"))
    }
    let decoded = try JSONDecoder().decode(DatasetSpec.self, from: JSONEncoder().encode(DatasetSpec.glyphs(GlyphOptions(classes: 50))))
    #expect(decoded.options(as: GlyphOptions.self)?.classes == 50)
}

@Test func datasetSummaryCountsClassesAndSamples() throws {
    let data = try loadDataset(DatasetSpec.synthetic(classes: 12, trainClasses: 8, samplesPerClass: 5, inputDim: 6, latentDim: 2))
    let s = DatasetSummary(spec: DatasetSpec.synthetic(), data: data)
    #expect(s.classes == 12 && s.trainClasses == 8 && s.testClasses == 4)
    #expect(s.trainSamples == 40 && s.testSamples == 20)
    #expect(s.samplesPerClass == DatasetSummary.Spread(min: 5, median: 5, max: 5))
    #expect(s.shape == [6, 1, 1] && s.fingerprint == nil && s.fonts == nil)
    #expect(s.json().contains("\"samples_per_class\""))
    #expect(throws: DatasetError.self) { try ContactSheet(images: data, rows: 4, perClass: 3) }
}

@Test func contactSheetEmbedsOnePNGPerCell() throws {
    var features = Matrix(rows: 6, cols: 16)
    for i in features.storage.indices { features.storage[i] = Float(i % 7) }
    let train = LabeledData(features: features, labels: [0, 0, 0, 1, 1, 1])
    let test = LabeledData(features: features, labels: [2, 2, 3, 3, 3, 3])
    let data = Dataset(train: train, test: test, inputShape: InputShape(channels: 1, height: 4, width: 4))
    let sheet = try ContactSheet(images: data, rows: 4, perClass: 2)
    #expect(sheet.rows.map(\.title) == ["class 0", "class 1", "class 2", "class 3"])
    let svg = sheet.svg()
    #expect(svg.components(separatedBy: "data:image/png;base64,").count - 1 == 8)
}
