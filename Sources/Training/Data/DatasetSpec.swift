/// How the classes of a dataset are split between training and evaluation.
public enum SplitKind: String, Codable, CaseIterable, Sendable {
    /// Train on the first half of the classes of the train file, test on the
    /// other half of the test file (unseen classes, the LSE protocol). The default.
    case classDisjoint = "class-disjoint"
    /// Every class in both: the train file for training, the test file for testing
    /// (seen classes; a sanity baseline, not the metric-learning protocol).
    case sameClasses = "same-classes"
}

/// Everything that defines a dataset: a registered dataset's options plus
/// the keys every dataset has (`name`, `split`, `standardize`).
///
/// Its `Codable` form is the canonical form of variant ids and run records:
/// `name`, `split`, `standardize` and the options as their dataset writes them
/// (``DatasetDefinition/encodeCanonical(to:)``).
public struct DatasetSpec: Hashable, Sendable {
    /// The registered dataset (its `name:`).
    public let kind: DatasetKind
    public var split: SplitKind
    /// Subtract the training mean and divide by the training standard deviation
    /// (one scalar each) in both splits.
    public var standardize: Bool
    /// The dataset's own options, of its ``DatasetDefinition`` type.
    public private(set) var options: any DatasetDefinition

    public init<D: DatasetDefinition>(_ options: D, split: SplitKind = .classDisjoint, standardize: Bool = false) {
        kind = DatasetKind(unchecked: D.name)
        self.options = options
        self.split = split
        self.standardize = standardize
    }

    /// A spec of the options' own dataset (for options read through ``RegisteredDataset``).
    public init(erased options: any DatasetDefinition, split: SplitKind = .classDisjoint, standardize: Bool = false) {
        kind = DatasetKind(unchecked: type(of: options).name)
        self.options = options
        self.split = split
        self.standardize = standardize
    }

    /// The options as `D`, when this is a `D` dataset.
    public func options<D: DatasetDefinition>(as type: D.Type) -> D? { options as? D }

    /// Replaces the options (of the same dataset).
    public mutating func update<D: DatasetDefinition>(_ type: D.Type, _ change: (inout D) -> Void) {
        guard var o = options as? D else { preconditionFailure("\(kind) is not a \(D.name) dataset") }
        change(&o)
        options = o
    }

    /// Checks the options against the split; throws a ``DatasetError`` naming the key.
    public func validate() throws { try options.validate(split: split) }

    /// The facts of this dataset that its own options state.
    public var facts: DatasetFacts { options.facts(split: split) }

    /// The input shape and sample count known before any file is read.
    public var declaredShape: (input: InputShape, samples: Int) { options.declaredShape }

    public static func == (a: DatasetSpec, b: DatasetSpec) -> Bool {
        a.kind == b.kind && a.split == b.split && a.standardize == b.standardize
            && a.options._hashable == b.options._hashable
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(split)
        hasher.combine(standardize)
        hasher.combine(options._hashable)
    }
}

extension DatasetDefinition {
    /// The options as a hashable value (for ``DatasetSpec``'s equality).
    var _hashable: AnyHashable { AnyHashable(self) }
}

extension DatasetSpec {
    /// Fashion-MNIST (or an MNIST-format copy in `path`).
    public static func fashionMNIST(path: String = FashionMNIST.defaultPath, trainClasses: Int? = nil,
                                    split: SplitKind = .classDisjoint, standardize: Bool = false) -> DatasetSpec {
        DatasetSpec(FashionMNIST(path: path, trainClasses: trainClasses), split: split, standardize: standardize)
    }

    /// A synthetic dataset spec (the default for tests: needs no files).
    public static func synthetic(
        classes: Int = 200, trainClasses: Int? = nil, samplesPerClass: Int = 20,
        inputDim: Int = 64, latentDim: Int = 16, noise: Double = 0.3, seed: UInt64 = 0
    ) -> DatasetSpec {
        DatasetSpec(SyntheticData(classes: classes, trainClasses: trainClasses, samplesPerClass: samplesPerClass,
                                  inputDim: inputDim, latentDim: latentDim, noise: noise, seed: seed))
    }

    /// A glyph dataset spec.
    public static func glyphs(_ options: GlyphOptions = GlyphOptions(), standardize: Bool = false) -> DatasetSpec {
        DatasetSpec(options, standardize: standardize)
    }
}

extension DatasetSpec: Codable {
    private enum CommonKeys: String, CodingKey {
        case name, split, standardize
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CommonKeys.self)
        try c.encode(kind, forKey: .name)
        try c.encode(split, forKey: .split)
        try c.encode(standardize, forKey: .standardize)
        try options.encodeCanonical(to: encoder)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CommonKeys.self)
        let name = try c.decode(String.self, forKey: .name)
        guard let kind = DatasetKind(rawValue: name), let registered = DatasetRegistry.dataset(kind) else {
            throw DecodingError.dataCorruptedError(
                forKey: .name, in: c,
                debugDescription: "unknown dataset '\(name)'; known: \(DatasetRegistry.names.joined(separator: ", "))")
        }
        self.kind = kind
        split = try c.decodeIfPresent(SplitKind.self, forKey: .split) ?? .classDisjoint
        standardize = try c.decodeIfPresent(Bool.self, forKey: .standardize) ?? false
        options = try registered.decodeCanonical(from: decoder)
    }
}
