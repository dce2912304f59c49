import NumericCore

/// User-supplied features and labels in `.npy` files (DESIGN §7): either
/// separate train and test files, or one pair split by label
/// (`labels < test_classes_from` train, the rest test).
public struct NPYDataset: DatasetDefinition {
    public static let name = "npy"

    public var trainFeatures: String?
    public var trainLabels: String?
    public var testFeatures: String?
    public var testLabels: String?
    public var features: String?
    public var labels: String?
    /// With `features`/`labels`: labels `< testClassesFrom` train, the others test.
    public var testClassesFrom: Int?

    public init() {}

    /// Separate train and test files.
    public init(trainFeatures: String, trainLabels: String, testFeatures: String, testLabels: String) {
        self.trainFeatures = trainFeatures
        self.trainLabels = trainLabels
        self.testFeatures = testFeatures
        self.testLabels = testLabels
    }

    /// One pair of files, split by label.
    public init(features: String, labels: String, testClassesFrom: Int) {
        self.features = features
        self.labels = labels
        self.testClassesFrom = testClassesFrom
    }

    public enum SpecKeys: String, CodingKey, CaseIterable {
        case trainFeatures = "train_features", trainLabels = "train_labels"
        case testFeatures = "test_features", testLabels = "test_labels"
        case features, labels, testClassesFrom = "test_classes_from"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecKeys.self)
        trainFeatures = try c.decodeIfPresent(String.self, forKey: .trainFeatures)
        trainLabels = try c.decodeIfPresent(String.self, forKey: .trainLabels)
        testFeatures = try c.decodeIfPresent(String.self, forKey: .testFeatures)
        testLabels = try c.decodeIfPresent(String.self, forKey: .testLabels)
        features = try c.decodeIfPresent(String.self, forKey: .features)
        labels = try c.decodeIfPresent(String.self, forKey: .labels)
        testClassesFrom = try c.decodeIfPresent(Int.self, forKey: .testClassesFrom)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKeys.self)
        try c.encodeIfPresent(trainFeatures, forKey: .trainFeatures)
        try c.encodeIfPresent(trainLabels, forKey: .trainLabels)
        try c.encodeIfPresent(testFeatures, forKey: .testFeatures)
        try c.encodeIfPresent(testLabels, forKey: .testLabels)
        try c.encodeIfPresent(features, forKey: .features)
        try c.encodeIfPresent(labels, forKey: .labels)
        try c.encodeIfPresent(testClassesFrom, forKey: .testClassesFrom)
    }

    public func validate(split: SplitKind) throws {
        if let t = testClassesFrom, t < 1 { throw DatasetError(key: "test_classes_from", "must be at least 1, found \(t)") }
        let four = [trainFeatures, trainLabels, testFeatures, testLabels].allSatisfy { $0 != nil }
        let pair = features != nil && labels != nil && testClassesFrom != nil
        guard four || pair else {
            throw DatasetError("the npy dataset needs train_features, train_labels, test_features and test_labels, or features, labels and test_classes_from")
        }
    }

    public func facts(split: SplitKind) -> DatasetFacts { DatasetFacts() }

    public var declaredShape: (input: InputShape, samples: Int) { (InputShape(flat: 1), 0) }

    public func load(split: SplitKind, cached: Bool) throws -> Dataset {
        if let features {
            guard let labels else { throw DatasetError("dataset.features is set but dataset.labels is not") }
            guard let boundary = testClassesFrom else {
                throw DatasetError("dataset.features/labels need dataset.test_classes_from (labels below it train, the others test)")
            }
            let all = try NPYDataset.pair(features, labels)
            let b = Int32(boundary)
            let train = all.filter { $0 < b }, test = all.filter { $0 >= b }
            guard train.count > 0, test.count > 0 else {
                throw DatasetError("dataset.test_classes_from = \(boundary) leaves an empty split (labels \(all.classes.first ?? 0)...\(all.classes.last ?? 0) in \(labels))")
            }
            return Dataset(train: train, test: test, inputShape: InputShape(flat: all.features.cols))
        }
        guard let trF = trainFeatures, let trL = trainLabels, let teF = testFeatures, let teL = testLabels else {
            throw DatasetError("an npy dataset needs train_features, train_labels, test_features and test_labels, or features, labels and test_classes_from")
        }
        let train = try NPYDataset.pair(trF, trL), test = try NPYDataset.pair(teF, teL)
        guard train.features.cols == test.features.cols else {
            throw DataFileError(path: teF, problem: "has \(test.features.cols) features per row but \(trF) has \(train.features.cols)")
        }
        return Dataset(train: train, test: test, inputShape: InputShape(flat: train.features.cols))
    }

    public func encodeCanonical(to encoder: any Encoder) throws {
        try _DatasetLayout1.with {
            $0.trainFeatures = trainFeatures; $0.trainLabels = trainLabels
            $0.testFeatures = testFeatures; $0.testLabels = testLabels
            $0.features = features; $0.labels = labels; $0.testClassesFrom = testClassesFrom
        }.encode(to: encoder)
    }

    public static func decodeCanonical(from decoder: any Decoder) throws -> NPYDataset {
        let l = try _DatasetLayout1(from: decoder)
        var d = NPYDataset()
        d.trainFeatures = l.trainFeatures; d.trainLabels = l.trainLabels
        d.testFeatures = l.testFeatures; d.testLabels = l.testLabels
        d.features = l.features; d.labels = l.labels; d.testClassesFrom = l.testClassesFrom
        return d
    }

    static func pair(_ featuresPath: String, _ labelsPath: String) throws -> LabeledData {
        let features = try NPY.readMatrix(featuresPath)
        let labels = try NPY.readLabels(labelsPath)
        guard features.rows == labels.count else {
            throw DataFileError(path: labelsPath, problem: "has \(labels.count) labels but \(featuresPath) has \(features.rows) rows")
        }
        guard features.isFinite else { throw DataFileError(path: featuresPath, problem: "contains NaN or infinite values") }
        return LabeledData(features: features, labels: labels)
    }
}
