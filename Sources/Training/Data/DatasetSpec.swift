/// The data sources MetricBench trains and evaluates on (DESIGN §7).
public enum DatasetKind: String, Codable, CaseIterable, Sendable {
    case fashionMNIST = "fashion-mnist"
    case synthetic
    case npy
    /// Han characters rendered from the system's CJK fonts (`GlyphDataset`).
    case glyphs
}

/// How the classes of a dataset are split between training and evaluation.
public enum SplitKind: String, Codable, CaseIterable, Sendable {
    /// Train on the first half of the classes of the train file, test on the
    /// other half of the test file (unseen classes, the LSE protocol). The default.
    case classDisjoint = "class-disjoint"
    /// Every class in both: the train file for training, the test file for testing
    /// (seen classes; a sanity baseline, not the metric-learning protocol).
    case sameClasses = "same-classes"
}

/// Everything that defines a dataset; every field has a default, so a spec
/// names only what it changes.
///
/// Codable keys: `name`, `path`, `split`, `standardize`, `classes`,
/// `train_classes`, `samples_per_class`, `input_dim`, `latent_dim`, `noise`,
/// `seed`, `train_features`, `train_labels`, `test_features`, `test_labels`,
/// `features`, `labels`, `test_classes_from`, `glyphs` (the options of the
/// glyph dataset, nested; absent for the other kinds, so that their variant
/// ids do not change).
public struct DatasetSpec: Codable, Hashable, Sendable {
    public var kind: DatasetKind

    // fashion-mnist (and any MNIST-format copy)
    /// Folder holding `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`.
    public var path: String
    public var split: SplitKind
    /// Subtract the training mean and divide by the training standard deviation
    /// (one scalar each); otherwise pixels stay in [0, 1].
    public var standardize: Bool

    // synthetic
    public var classes: Int
    /// Classes `0..<trainClasses` train, the rest test; `nil` = half.
    public var trainClasses: Int?
    public var samplesPerClass: Int
    public var inputDim: Int
    public var latentDim: Int
    /// Standard deviation of a sample around its class centre in the latent space
    /// (centres are standard normal); a tenth of it is added as input-space noise.
    public var noise: Double
    public var seed: UInt64

    // npy: either four files, or one pair split by label
    public var trainFeatures: String?
    public var trainLabels: String?
    public var testFeatures: String?
    public var testLabels: String?
    public var features: String?
    public var labels: String?
    /// With `features`/`labels`: labels `< testClassesFrom` train, the others test.
    public var testClassesFrom: Int?

    // glyphs
    /// The glyph dataset's options; `nil` (= the defaults) for a glyphs spec
    /// built in code, always `nil` for the other kinds.
    public var glyphs: GlyphOptions?

    public static let defaultFashionMNISTPath = "/usr/share/datasets/fashion-mnist"

    public init(
        kind: DatasetKind = .fashionMNIST, path: String = DatasetSpec.defaultFashionMNISTPath,
        split: SplitKind = .classDisjoint, standardize: Bool = false,
        classes: Int = 200, trainClasses: Int? = nil, samplesPerClass: Int = 20,
        inputDim: Int = 64, latentDim: Int = 16, noise: Double = 0.3, seed: UInt64 = 0,
        trainFeatures: String? = nil, trainLabels: String? = nil,
        testFeatures: String? = nil, testLabels: String? = nil,
        features: String? = nil, labels: String? = nil, testClassesFrom: Int? = nil,
        glyphs: GlyphOptions? = nil
    ) {
        self.kind = kind
        self.path = path
        self.split = split
        self.standardize = standardize
        self.classes = classes
        self.trainClasses = trainClasses
        self.samplesPerClass = samplesPerClass
        self.inputDim = inputDim
        self.latentDim = latentDim
        self.noise = noise
        self.seed = seed
        self.trainFeatures = trainFeatures
        self.trainLabels = trainLabels
        self.testFeatures = testFeatures
        self.testLabels = testLabels
        self.features = features
        self.labels = labels
        self.testClassesFrom = testClassesFrom
        self.glyphs = glyphs
    }

    /// A synthetic dataset spec (the default for tests: needs no files).
    public static func synthetic(
        classes: Int = 200, trainClasses: Int? = nil, samplesPerClass: Int = 20,
        inputDim: Int = 64, latentDim: Int = 16, noise: Double = 0.3, seed: UInt64 = 0
    ) -> DatasetSpec {
        DatasetSpec(kind: .synthetic, classes: classes, trainClasses: trainClasses, samplesPerClass: samplesPerClass,
                    inputDim: inputDim, latentDim: latentDim, noise: noise, seed: seed)
    }

    /// A glyph dataset spec.
    public static func glyphs(_ options: GlyphOptions = GlyphOptions()) -> DatasetSpec {
        DatasetSpec(kind: .glyphs, glyphs: options)
    }

    /// The glyph options with the defaults resolved (meaningful for `kind == .glyphs`).
    public var glyphOptions: GlyphOptions { glyphs ?? GlyphOptions() }

    enum CodingKeys: String, CodingKey {
        case kind = "name", path, split, standardize, classes
        case trainClasses = "train_classes", samplesPerClass = "samples_per_class"
        case inputDim = "input_dim", latentDim = "latent_dim", noise, seed
        case trainFeatures = "train_features", trainLabels = "train_labels"
        case testFeatures = "test_features", testLabels = "test_labels"
        case features, labels, testClassesFrom = "test_classes_from"
        case glyphs
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DatasetSpec()
        kind = try c.decodeIfPresent(DatasetKind.self, forKey: .kind) ?? d.kind
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? d.path
        split = try c.decodeIfPresent(SplitKind.self, forKey: .split) ?? d.split
        standardize = try c.decodeIfPresent(Bool.self, forKey: .standardize) ?? d.standardize
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
}
