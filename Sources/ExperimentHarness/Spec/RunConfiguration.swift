import MetricLearning

/// Where the data of an experiment comes from (DESIGN §7).
public enum DatasetName: String, Codable, CaseIterable, Sendable {
    case fashionMNIST = "fashion-mnist"
    case synthetic
    case npy
}

/// The dataset section of a spec, resolved (defaults filled in).
public struct DatasetSettings: Codable, Hashable, Sendable {
    public var name: DatasetName
    /// Folder with MNIST-format IDX files (fashion-mnist) — default the Debian package's folder.
    public var path: String?
    /// Class labels used for training / testing (fashion-mnist; default 0–4 / 5–9).
    public var trainClassLabels: [Int]?
    public var testClassLabels: [Int]?
    /// Synthetic: number of training and test classes (disjoint).
    public var trainClasses: Int?
    public var testClasses: Int?
    /// Synthetic: samples per class, input and latent dimensions, noise level, generator seed.
    public var samplesPerClass: Int?
    public var inputDim: Int?
    public var latentDim: Int?
    public var noise: Double?
    public var seed: Int?
    /// npy: feature and label files of the train and test split.
    public var trainFeatures: String?
    public var trainLabels: String?
    public var testFeatures: String?
    public var testLabels: String?
    /// Optional caps on the number of train / test samples (seeded subsample).
    public var maxTrain: Int?
    public var maxTest: Int?

    public init(name: DatasetName) { self.name = name }

    enum CodingKeys: String, CodingKey {
        case name, path, noise, seed
        case trainClassLabels = "train_class_labels", testClassLabels = "test_class_labels"
        case trainClasses = "train_classes", testClasses = "test_classes"
        case samplesPerClass = "samples_per_class", inputDim = "input_dim", latentDim = "latent_dim"
        case trainFeatures = "train_features", trainLabels = "train_labels"
        case testFeatures = "test_features", testLabels = "test_labels"
        case maxTrain = "max_train", maxTest = "max_test"
    }

    /// The number of training classes, when it is known without reading data.
    public var knownTrainClassCount: Int? {
        switch name {
        case .fashionMNIST: return (trainClassLabels ?? [0, 1, 2, 3, 4]).count
        case .synthetic: return trainClasses
        case .npy: return nil
        }
    }
}

public enum ModelKindName: String, Codable, CaseIterable, Sendable {
    case linear, mlp, convnet
}

/// The model section of a spec.
public struct ModelSettings: Codable, Hashable, Sendable {
    public var kind: ModelKindName = .mlp
    public var hidden: [Int] = [512]
    public var channels: [Int] = [32, 64]
    public var normalize: Bool = true
    public init() {}
}

public enum OptimizerName: String, Codable, CaseIterable, Sendable {
    case sgd, adam, adamw
}

public enum ScheduleName: String, Codable, CaseIterable, Sendable {
    case constant, step, cosine
}

/// The training settings of one run.
public struct TrainSettings: Codable, Hashable, Sendable {
    public var optimizer: OptimizerName = .adam
    public var learningRate: Double = 1e-3
    public var momentum: Double = 0.9
    public var weightDecay: Double = 0
    public var epochs: Int = 2
    public var batchSize: Int = 128
    public var samplesPerClass: Int = 4
    public var schedule: ScheduleName = .constant
    public var stepSize: Int = 1
    public var gamma: Double = 0.1
    public var maxStepsPerEpoch: Int?
    public init() {}

    enum CodingKeys: String, CodingKey {
        case optimizer, momentum, epochs, schedule, gamma
        case learningRate = "learning_rate", weightDecay = "weight_decay", batchSize = "batch_size"
        case samplesPerClass = "samples_per_class", stepSize = "step_size", maxStepsPerEpoch = "max_steps_per_epoch"
    }
}

/// The loss of one run with every default resolved, so that spelling a
/// default out in the spec does not change a variant's id.
public struct ResolvedLoss: Codable, Hashable, Sendable {
    public var loss: LossKind
    public var mining: MiningKind
    public var margin: Double
    public var posMargin: Double
    public var negMargin: Double
    public var power: Int
    public var distance: DistanceKind
    public var reducer: ReducerKind
    public var soft: Bool

    enum CodingKeys: String, CodingKey {
        case loss, mining, margin, power, distance, reducer, soft
        case posMargin = "pos_margin", negMargin = "neg_margin"
    }

    public init(_ c: LossConfiguration) {
        loss = c.loss
        mining = c.mining
        margin = c.resolvedMargin
        posMargin = c.resolvedPosMargin
        negMargin = c.resolvedNegMargin
        power = c.resolvedPower
        distance = c.resolvedDistance
        reducer = c.resolvedReducer
        soft = c.resolvedSoft
    }

    /// The loss configuration for a run with `seed`.
    public func configuration(seed: UInt64) -> LossConfiguration {
        LossConfiguration(
            loss: loss, mining: mining, margin: margin, posMargin: posMargin, negMargin: negMargin,
            power: power, distance: distance, reducer: reducer, soft: soft, seed: seed)
    }
}

/// Everything that determines a variant (all but the seed): its id is a hash of this.
public struct RunConfiguration: Codable, Hashable, Sendable {
    public var dataset: DatasetSettings
    public var model: ModelSettings
    public var train: TrainSettings
    public var embeddingDim: Int
    public var loss: ResolvedLoss

    enum CodingKeys: String, CodingKey {
        case dataset, model, train, loss
        case embeddingDim = "embedding_dim"
    }
}
