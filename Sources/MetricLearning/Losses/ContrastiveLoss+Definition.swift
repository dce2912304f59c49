import NumericCore

extension ContrastiveLoss: LossDefinition {
    /// Contrastive loss's spec keys and defaults (DESIGN §3).
    public struct Parameters: LossParameterSet {
        /// The semi-hard window of the triplet miner that picks the pairs.
        public var margin = 0.2
        public var posMargin = 0.0
        public var negMargin = 1.0
        /// p ∈ {1, 2} (Hadsell: 2).
        public var power = 2
        public var distance = DistanceKind.euclidean
        public var reducer = ReducerKind.mean

        enum CodingKeys: String, CodingKey {
            case margin, posMargin = "pos_margin", negMargin = "neg_margin", power, distance, reducer
        }

        public init() {}

        public func validate() throws {
            guard margin.isFinite else { throw LossError.invalidParameter("margin must be a finite number, got \(margin)") }
            guard [1, 2].contains(power) else { throw LossError.invalidParameter("power must be 1 or 2 (contrastive), got \(power)") }
            for (name, value) in [("pos_margin", posMargin), ("neg_margin", negMargin)] {
                guard value.isFinite, value >= 0 else {
                    throw LossError.invalidParameter("\(name) must be a finite number ≥ 0, got \(value)")
                }
            }
        }
    }

    public static let name = "contrastive"

    /// Every miner: `all` pairs, or the pairs of the mined triplets.
    public static func mining(_ kind: MiningKind) -> MiningKind? {
        switch kind {
        case .all, .semihard, .hard, .batchHard, .random, .distanceWeighted: return kind
        case .multiSimilarity: return nil
        }
    }

    public static func make(_ p: Parameters, mining: MiningKind, seed: UInt64, context: ComputeContext) -> any BatchLoss {
        ContrastiveLoss(configuration: LossConfiguration(
            loss: .contrastive, mining: mining, margin: p.margin, posMargin: p.posMargin, negMargin: p.negMargin,
            power: p.power, distance: p.distance, reducer: p.reducer, soft: false, seed: seed), context: context)
    }

    public static var legacyCanonicalConstants: [String: ParameterValue]? { ["soft": .bool(false)] }
}
