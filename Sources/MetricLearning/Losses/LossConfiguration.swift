import NumericCore

/// The name of a registered loss (the `loss:` value of specs).
///
/// A name, not a closed enum: the set of losses is ``LossRegistry/losses``,
/// so adding one touches its file, its registration line and its tests.
public struct LossKind: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// The kind of a registered loss, or nil for a name no loss has.
    public init?(rawValue: String) {
        guard LossRegistry.losses.contains(where: { $0.kind.rawValue == rawValue }) else { return nil }
        self.rawValue = rawValue
    }

    init(unchecked name: String) { rawValue = name }

    /// Records name their loss as text; a name no longer registered still decodes.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public var description: String { rawValue }

    public static let contrastive = LossKind(unchecked: "contrastive")
    public static let triplet = LossKind(unchecked: "triplet")
    public static let lifted = LossKind(unchecked: "lifted")

    /// Every registered loss, in registration order.
    public static var allCases: [LossKind] { LossRegistry.losses.map(\.kind) }
}

/// The mining strategies, the values of the `mining` sweep axis (DESIGN §4).
public enum MiningKind: String, Codable, CaseIterable, Sendable {
    case all, semihard, hard
    case batchHard = "batch-hard"
    case random
    case distanceWeighted = "distance-weighted"
    /// Multi-similarity pair mining (Wang et al. 2019), `epsilon` 0.1.
    case multiSimilarity = "multi-similarity"

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

/// The applicability table of DESIGN §4: whether `loss` takes `mining`,
/// as the loss itself declares it (``LossDefinition/mining(_:)``).
public func supports(_ loss: LossKind, _ mining: MiningKind) -> Bool {
    LossRegistry.loss(loss)?.supports(mining) ?? false
}

/// The classic losses' shared settings (contrastive, triplet, lifted): the
/// kind, the miner and their parameters, as their implementations read them.
/// The spec reaches them through each loss's `Parameters`.
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
            let takes = MiningKind.allCases.filter { supports(l, $0) }.map(\.rawValue).joined(separator: ", ")
            return "loss '\(l.rawValue)' does not support mining '\(m.rawValue)'; it takes: \(takes) (DESIGN §4)"
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
    /// Sizes and initialises the loss's own trainable parameters (proxies,
    /// class weights, a learned β) before training: one row per class of
    /// `classes` (the sorted distinct training labels), `dimension` wide,
    /// drawn from `seed`. Losses without parameters ignore it.
    mutating func prepare(classes: [Int32], dimension: Int, seed: UInt64) throws

    /// Calls `body(values, gradients)` for each of the loss's own parameter
    /// tensors in a fixed order; the gradients are those of the last
    /// `evaluate`. None for most losses.
    mutating func visitParameters(_ body: (inout [Float], inout [Float]) -> Void)

    /// Evaluates the loss of `embeddings` (B × d, used exactly as given) with
    /// `labels` (B values) and writes dLoss/dEmbeddings into `gradient`
    /// (reshaped to B × d, overwritten).
    mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult
}

extension BatchLoss {
    public mutating func prepare(classes: [Int32], dimension: Int, seed: UInt64) throws {}
    public mutating func visitParameters(_ body: (inout [Float], inout [Float]) -> Void) {}
}
