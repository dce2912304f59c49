import NumericCore

/// A class-disjoint pair of splits: the model trains on `train` and is
/// evaluated on `test`, whose classes it has never seen (DESIGN §6, §7).
public struct Dataset: Sendable {
    public var train: LabeledData
    public var test: LabeledData
    public var inputShape: InputShape
    /// A hash of everything the data was made from, when the data is generated
    /// from system files that may change between machines (the glyph dataset:
    /// the font files' bytes and the options); `nil` otherwise.
    public var fingerprint: String?

    public init(train: LabeledData, test: LabeledData, inputShape: InputShape, fingerprint: String? = nil) {
        precondition(train.features.cols == inputShape.count && test.features.cols == inputShape.count,
                     "feature width differs from input shape \(inputShape)")
        self.train = train
        self.test = test
        self.inputShape = inputShape
        self.fingerprint = fingerprint
    }
}

/// Loads the dataset `spec` describes (its registered dataset's `load`),
/// standardized when the spec asks; `cached` lets a rendered dataset use its
/// on-disk cache.
///
/// Throws `DataFileError` (naming the file) for missing or corrupt files and
/// `DatasetError` for inconsistent parameters.
public func loadDataset(_ spec: DatasetSpec, cached: Bool = true) throws -> Dataset {
    var dataset = try spec.options.load(split: spec.split, cached: cached)
    if spec.standardize { dataset.standardize() }
    return dataset
}

extension Dataset {
    /// Subtracts the training mean and divides by the training standard
    /// deviation (scalars over every value), in both splits, so that the test
    /// split is transformed with statistics it did not contribute to.
    mutating func standardize() {
        var sum = 0.0, squares = 0.0
        for v in train.features.storage { sum += Double(v); squares += Double(v) * Double(v) }
        let n = Double(max(1, train.features.count))
        let mean = sum / n
        let std = max((squares / n - mean * mean).squareRoot(), 1e-8)
        let m = Float(mean), s = Float(1 / std)
        for i in train.features.storage.indices { train.features.storage[i] = (train.features.storage[i] - m) * s }
        for i in test.features.storage.indices { test.features.storage[i] = (test.features.storage[i] - m) * s }
    }
}
