/// Canonical form 1 of the datasets published before the registry
/// (fashion-mnist, synthetic, npy, glyphs): the 2026-11 `DatasetSpec`
/// wrote every field of every dataset, so each of them writes its own
/// options into this one flat layout and the others' fields at their
/// 2026-11 defaults. The bytes are what every published variant id hashes
/// (`VariantIDTests`); a dataset added later writes only its own options.
struct _DatasetLayout1: Codable {
    var path = FashionMNIST.defaultPath
    var classes = 200
    var trainClasses: Int?
    var samplesPerClass = 20
    var inputDim = 64
    var latentDim = 16
    var noise = 0.3
    var seed: UInt64 = 0
    var trainFeatures: String?
    var trainLabels: String?
    var testFeatures: String?
    var testLabels: String?
    var features: String?
    var labels: String?
    var testClassesFrom: Int?
    var glyphs: GlyphOptions?

    init() {}

    enum CodingKeys: String, CodingKey {
        case path, classes, noise, seed, features, labels, glyphs
        case trainClasses = "train_classes", samplesPerClass = "samples_per_class"
        case inputDim = "input_dim", latentDim = "latent_dim"
        case trainFeatures = "train_features", trainLabels = "train_labels"
        case testFeatures = "test_features", testLabels = "test_labels"
        case testClassesFrom = "test_classes_from"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = _DatasetLayout1()
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? d.path
        classes = try c.decodeIfPresent(Int.self, forKey: .classes) ?? d.classes
        trainClasses = try c.decodeIfPresent(Int.self, forKey: .trainClasses)
        samplesPerClass = try c.decodeIfPresent(Int.self, forKey: .samplesPerClass) ?? d.samplesPerClass
        inputDim = try c.decodeIfPresent(Int.self, forKey: .inputDim) ?? d.inputDim
        latentDim = try c.decodeIfPresent(Int.self, forKey: .latentDim) ?? d.latentDim
        noise = try c.decodeIfPresent(Double.self, forKey: .noise) ?? d.noise
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        trainFeatures = try c.decodeIfPresent(String.self, forKey: .trainFeatures)
        trainLabels = try c.decodeIfPresent(String.self, forKey: .trainLabels)
        testFeatures = try c.decodeIfPresent(String.self, forKey: .testFeatures)
        testLabels = try c.decodeIfPresent(String.self, forKey: .testLabels)
        features = try c.decodeIfPresent(String.self, forKey: .features)
        labels = try c.decodeIfPresent(String.self, forKey: .labels)
        testClassesFrom = try c.decodeIfPresent(Int.self, forKey: .testClassesFrom)
        glyphs = try c.decodeIfPresent(GlyphOptions.self, forKey: .glyphs)
    }

    /// `change` applied to the 2026-11 defaults.
    static func with(_ change: (inout _DatasetLayout1) -> Void) -> _DatasetLayout1 {
        var l = _DatasetLayout1()
        change(&l)
        return l
    }
}
