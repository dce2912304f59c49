import NumericCore

/// The losses MetricBench compares (DESIGN §3).
public enum LossKind: String, Codable, CaseIterable, Sendable {
    case contrastive, triplet, lifted
}

/// The mining strategies, the values of the `mining` sweep axis (DESIGN §4).
public enum MiningKind: String, Codable, CaseIterable, Sendable {
    case all, semihard, hard
    case batchHard = "batch-hard"
    case random
    case distanceWeighted = "distance-weighted"

    /// Whether the miner draws random samples (and so needs a seed and cannot
    /// be checked by finite differences against a fixed selection).
    public var isRandom: Bool { self == .random || self == .distanceWeighted }
}

/// The distance a loss is computed on (DESIGN §2).
public enum DistanceKind: String, Codable, CaseIterable, Sendable {
    case euclidean
    case squaredEuclidean = "squared-euclidean"
}

/// How per-tuple losses are combined (DESIGN §3).
public enum ReducerKind: String, Codable, CaseIterable, Sendable {
    case mean
    case nonzeroMean = "nonzero-mean"
}

/// The applicability table of DESIGN §4, in one place: the runner, the CLI
/// and the loss factory all ask this function.
public func supports(_ loss: LossKind, _ mining: MiningKind) -> Bool {
    switch (loss, mining) {
    case (_, .all): return true
    case (.lifted, .hard): return true
    case (.lifted, _): return false
    default: return true
    }
}

/// Everything that defines a loss: the kind, the miner and their parameters.
///
/// Defaults are the papers' (DESIGN §3); `nil` parameters take the loss's own default.
public struct LossConfiguration: Codable, Hashable, Sendable {
    public var loss: LossKind
    public var mining: MiningKind
    /// Triplet margin (default 0.2) or lifted margin α (default 1.0).
    public var margin: Double?
    /// Contrastive positive margin (default 0).
    public var posMargin: Double?
    /// Contrastive negative margin (default 1.0).
    public var negMargin: Double?
    /// Contrastive power p ∈ {1, 2} (default 2).
    public var power: Int?
    /// Distance (default: euclidean for contrastive and lifted, squared-euclidean for triplet).
    public var distance: DistanceKind?
    /// Reducer (default mean).
    public var reducer: ReducerKind?
    /// Soft-margin triplet (softplus) instead of the hinge.
    public var soft: Bool?
    /// Seed of the random miners.
    public var seed: UInt64

    public init(
        loss: LossKind, mining: MiningKind = .all, margin: Double? = nil, posMargin: Double? = nil,
        negMargin: Double? = nil, power: Int? = nil, distance: DistanceKind? = nil,
        reducer: ReducerKind? = nil, soft: Bool? = nil, seed: UInt64 = 0
    ) {
        self.loss = loss
        self.mining = mining
        self.margin = margin
        self.posMargin = posMargin
        self.negMargin = negMargin
        self.power = power
        self.distance = distance
        self.reducer = reducer
        self.soft = soft
        self.seed = seed
    }

    public var resolvedMargin: Double { margin ?? (loss == .lifted ? 1.0 : 0.2) }
    public var resolvedPosMargin: Double { posMargin ?? 0 }
    public var resolvedNegMargin: Double { negMargin ?? 1.0 }
    public var resolvedPower: Int { power ?? 2 }
    public var resolvedDistance: DistanceKind {
        distance ?? (loss == .triplet ? .squaredEuclidean : .euclidean)
    }
    public var resolvedReducer: ReducerKind { reducer ?? .mean }
    public var resolvedSoft: Bool { soft ?? false }
}

/// What one evaluation of a loss on a batch reports besides the gradient.
public struct LossResult: Equatable, Sendable {
    /// The reduced loss value.
    public var loss: Double
    /// The number of tuples (pairs for contrastive, triplets for triplet,
    /// positive pairs for lifted) the miner selected.
    public var tuples: Int
    /// Share of selected tuples with a strictly positive loss term (0 when none selected).
    public var activeFraction: Double

    public init(loss: Double, tuples: Int, activeFraction: Double) {
        self.loss = loss
        self.tuples = tuples
        self.activeFraction = activeFraction
    }
}

/// Bad input to a loss that the user can fix (not a programmer error).
public enum LossError: Error, CustomStringConvertible, Equatable {
    case unsupported(LossKind, MiningKind)
    case noPositivePairs
    case invalidParameter(String)

    public var description: String {
        switch self {
        case .unsupported(let l, let m):
            return "loss '\(l.rawValue)' does not support mining '\(m.rawValue)' (see DESIGN §4: lifted takes 'all' (smooth eq. 4) or 'hard' (exact eq. 3))"
        case .noPositivePairs:
            return "the batch has no positive pair (every label occurs once); a metric-learning batch needs at least two samples of some class"
        case .invalidParameter(let s):
            return s
        }
    }
}

/// A loss on a batch of embeddings: distance × miner × per-tuple loss × reducer.
///
/// Implementations keep their workspaces between calls, so a trainer that
/// evaluates batches of the same shape allocates nothing after the first.
public protocol BatchLoss {
    /// The configuration this loss was built from.
    var configuration: LossConfiguration { get }

    /// Evaluates the loss of `embeddings` (B × d, used exactly as given) with
    /// `labels` (B values) and writes dLoss/dEmbeddings into `gradient`
    /// (reshaped to B × d, overwritten).
    mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult
}
