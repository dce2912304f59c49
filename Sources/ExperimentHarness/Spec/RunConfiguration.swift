import MetricLearning
import Training

extension DatasetSpec {
    /// The number of training classes, when it is known without reading data.
    public var knownTrainClassCount: Int? {
        switch kind {
        case .fashionMNIST: return split == .classDisjoint ? 5 : 10
        case .synthetic: return split == .classDisjoint ? (trainClasses ?? classes / 2) : classes
        case .npy: return nil
        case .glyphs: return glyphOptions.resolvedTrainClasses
        }
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
    public var dataset: DatasetSpec
    public var model: ModelSpec
    public var train: TrainSpec
    public var embeddingDim: Int
    public var loss: ResolvedLoss

    enum CodingKeys: String, CodingKey {
        case dataset, model, train, loss
        case embeddingDim = "embedding_dim"
    }
}
