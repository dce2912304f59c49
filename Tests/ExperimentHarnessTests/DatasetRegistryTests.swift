import Foundation
import Testing
import Yams
@testable import ExperimentHarness
@testable import Training

/// A dataset that exists only here: what a new dataset's file declares.
private struct TwoBlobs: DatasetDefinition {
    static let name = "two-blobs"
    var points = 10
    var spread = 0.5
    var tags: [String] = []
    var shape = Shape()

    struct Shape: Codable, Hashable, Sendable {
        var round = true
        enum CodingKeys: String, CodingKey, CaseIterable { case round }
    }

    init() {}

    enum SpecKeys: String, CodingKey, CaseIterable { case points, spread, tags, shape }
    typealias CodingKeys = SpecKeys

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecKeys.self)
        points = try c.decodeIfPresent(Int.self, forKey: .points) ?? 10
        spread = try c.decodeIfPresent(Double.self, forKey: .spread) ?? 0.5
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        shape = try c.decodeIfPresent(Shape.self, forKey: .shape) ?? Shape()
    }

    func validate(split: SplitKind) throws {
        guard points >= 2 else { throw DatasetError(key: "points", "must be at least 2, found \(points)") }
    }
    func facts(split: SplitKind) -> DatasetFacts { DatasetFacts(trainClasses: 1, trainSamples: points) }
    var declaredShape: (input: InputShape, samples: Int) { (InputShape(flat: 2), 2 * points) }
    func load(split: SplitKind, cached: Bool) throws -> Dataset { preconditionFailure("not loaded in these tests") }
}

/// Reads `section` (a YAML mapping) as `D`'s spec options, as the parser does.
private func options<D: DatasetDefinition>(_ type: D.Type, _ section: String) throws -> D {
    let node = try #require(try Yams.compose(yaml: section))
    let options = try RegisteredDataset(D.self).options(specFrom: _SpecNodeDecoder(reader: Reader(file: "d.yaml"), node: node, key: "dataset"))
    return try #require(options as? D)
}

@Test func aDatasetDeclaresItsKeysDefaultsAndFactsInOneType() throws {
    let registered = RegisteredDataset(TwoBlobs.self)
    #expect(registered.kind.rawValue == "two-blobs")
    #expect(registered.specKeys == ["points", "spread", "tags", "shape"])
    let read = try options(TwoBlobs.self, "points: 7\ntags: [a, b]\nshape: { round: false }\n")
    #expect(read.points == 7 && read.spread == 0.5 && read.tags == ["a", "b"] && read.shape.round == false)
    let spec = DatasetSpec(read)
    #expect(spec.facts == DatasetFacts(trainClasses: 1, trainSamples: 7))
    #expect(spec.declaredShape.samples == 14)
    // A dataset registered after canonical form 1 writes only its own keys beside the common three.
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let json = String(decoding: try encoder.encode(spec), as: UTF8.self)
    #expect(json == #"{"name":"two-blobs","points":7,"shape":{"round":false},"split":"class-disjoint","spread":0.5,"standardize":false,"tags":["a","b"]}"#)
    let fromValues = try registered.options(specValues: ["spread": 2.0])
    #expect((fromValues as? TwoBlobs)?.spread == 2 && (fromValues as? TwoBlobs)?.points == 10)
}

@Test func aWrongTypeOrUnknownNestedKeyInADatasetSectionNamesKeyAndLine() throws {
    #expect { try options(TwoBlobs.self, "spread: 0.1\npoints: many\n") } throws: { e in
        (e as? SpecError)?.key == "points" && (e as? SpecError)?.line == 2 && "\(e)".contains("expected an integer")
    }
    #expect { try options(TwoBlobs.self, "shape: { rund: true }\n") } throws: { e in
        (e as? SpecError)?.key == "rund" && "\(e)".contains("did you mean 'round'")
    }
    #expect { try options(TwoBlobs.self, "points: ~\n") } throws: { e in (e as? SpecError)?.key == "points" }
    #expect { try options(TwoBlobs.self, "tags: [a, [b]]\n") } throws: { e in (e as? SpecError)?.key == "tags" }
}

@Test func registeredDatasetsRoundTripThroughTheirCanonicalForm() throws {
    for registered in DatasetRegistry.datasets {
        let spec = DatasetSpec(erased: registered.defaults, standardize: true)
        let decoded = try JSONDecoder().decode(DatasetSpec.self, from: JSONEncoder().encode(spec))
        #expect(decoded == spec, "\(registered.kind)")
        #expect(DatasetKind(rawValue: registered.kind.rawValue) == registered.kind)
    }
    #expect(DatasetRegistry.names == ["fashion-mnist", "synthetic", "npy", "glyphs"])
}

/// The datasets published before the registry keep the 2026-11 layout byte for byte (the ids of
/// fashion-mnist and synthetic runs are pinned in `VariantIDTests`; this pins glyphs and npy too).
@Test func publishedDatasetsKeepTheirCanonicalFormOneBytes() throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    func json(_ spec: DatasetSpec) throws -> String { String(decoding: try encoder.encode(spec), as: UTF8.self) }
    let common = #""input_dim":64,"latent_dim":16"#
    #expect(try json(.glyphs()) == #"{"classes":200,"glyphs":{"classes":3000,"dedup":true,"exclude":[],"include":[],"jitter":true,"min_fonts":20,"seed":0,"size":32},"#
        + common + #","name":"glyphs","noise":0.3,"path":"/usr/share/datasets/fashion-mnist","samples_per_class":20,"seed":0,"split":"class-disjoint","standardize":false}"#)
    #expect(try json(DatasetSpec(NPYDataset(features: "f.npy", labels: "l.npy", testClassesFrom: 3))) == #"{"classes":200,"features":"f.npy","input_dim":64,"labels":"l.npy","latent_dim":16,"name":"npy","noise":0.3,"path":"/usr/share/datasets/fashion-mnist","samples_per_class":20,"seed":0,"split":"class-disjoint","standardize":false,"test_classes_from":3}"#)
    #expect(try json(.fashionMNIST()) == #"{"classes":200,"#
        + common + #","name":"fashion-mnist","noise":0.3,"path":"/usr/share/datasets/fashion-mnist","samples_per_class":20,"seed":0,"split":"class-disjoint","standardize":false}"#)
}

@Test func datasetOptionsAreValidatedByTheirDatasetAndNameTheKey() {
    #expect(parseError("dataset: { name: synthetic, classes: 3 }\nmodel: { kind: mlp }")?.key == "classes")
    let typo = parseError("dataset: { name: synthetc }\nmodel: { kind: mlp }")
    #expect(typo?.key == "name" && typo?.message.contains("did you mean 'synthetic'") == true)
    let wrongType = parseError("name: x\ndataset:\n  name: synthetic\n  noise: loud\nmodel: { kind: mlp }")
    #expect(wrongType?.key == "noise" && wrongType?.line == 4)
    let npy = parseError("dataset: { name: npy, features: f.npy }\nmodel: { kind: mlp }")
    #expect(npy?.key == "dataset" && npy?.message.contains("test_classes_from") == true)
    #expect(parseError("dataset: { name: fashion-mnist, train_classes: 10 }\nmodel: { kind: mlp }")?.key == "train_classes")
}
