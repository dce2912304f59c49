import NumericCore

/// Feature rows and their class labels.
public struct LabeledData: Sendable {
    /// `n × inputShape.count`, one sample per row.
    public var features: Matrix
    public var labels: [Int32]

    public init(features: Matrix, labels: [Int32]) {
        precondition(features.rows == labels.count, "\(features.rows) feature rows but \(labels.count) labels")
        self.features = features
        self.labels = labels
    }

    public var count: Int { labels.count }

    /// The distinct labels, ascending.
    public var classes: [Int32] { Array(Set(labels)).sorted() }

    /// The samples whose label satisfies `keep`, in their original order.
    public func filter(_ keep: (Int32) -> Bool) -> LabeledData {
        let rows = labels.indices.filter { keep(labels[$0]) }
        return LabeledData(features: features.gatherRows(rows), labels: rows.map { labels[$0] })
    }
}

/// The shape of one input sample: channels × height × width, stored
/// channel-major (CHW) in a feature row. Flat feature vectors are `d × 1 × 1`.
public struct InputShape: Codable, Hashable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// A flat feature vector of `dimension` values.
    public init(flat dimension: Int) { self.init(channels: dimension, height: 1, width: 1) }

    /// Values per sample.
    public var count: Int { channels * height * width }
    /// Whether the samples are images (a convnet needs them).
    public var isImage: Bool { height > 1 || width > 1 }
}

/// A class-disjoint pair of splits: the model trains on `train` and is
/// evaluated on `test`, whose classes it has never seen (DESIGN §6, §7).
public struct Dataset: Sendable {
    public var train: LabeledData
    public var test: LabeledData
    public var inputShape: InputShape

    public init(train: LabeledData, test: LabeledData, inputShape: InputShape) {
        precondition(train.features.cols == inputShape.count && test.features.cols == inputShape.count,
                     "feature width differs from input shape \(inputShape)")
        self.train = train
        self.test = test
        self.inputShape = inputShape
    }
}

/// Loads the dataset `spec` describes.
///
/// Throws `DataFileError` (naming the file) for missing or corrupt files and
/// `DatasetError` for inconsistent parameters.
public func loadDataset(_ spec: DatasetSpec) throws -> Dataset {
    var dataset: Dataset
    switch spec.kind {
    case .fashionMNIST: dataset = try FashionMNIST.load(spec)
    case .synthetic: dataset = try SyntheticData.generate(spec)
    case .npy: dataset = try NPYDataset.load(spec)
    }
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

/// Inconsistent dataset parameters in a spec; the message names the key.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
