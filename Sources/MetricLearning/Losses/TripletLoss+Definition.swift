import NumericCore

extension TripletLoss: LossDefinition {
    /// Triplet loss's spec keys and defaults (DESIGN §3: FaceNet's).
    public struct Parameters: LossParameterSet {
        public var margin = 0.2
        public var distance = DistanceKind.squaredEuclidean
        public var reducer = ReducerKind.mean
        /// softplus(D_ap − D_an) instead of the hinge (Hermans et al. 2017).
        public var soft = false

        public init() {}

        public func validate() throws {
            guard margin.isFinite else { throw LossError.invalidParameter("margin must be a finite number, got \(margin)") }
        }
    }

    public static let name = "triplet"

    /// Every miner: `all` triplets fused, the others mined first (semihard and hard fused with the hinge).
    public static func mining(_ kind: MiningKind) -> MiningKind? {
        switch kind {
        case .all, .semihard, .hard, .batchHard, .random, .distanceWeighted: return kind
        case .multiSimilarity: return nil
        }
    }

    public static func make(_ p: Parameters, mining: MiningKind, seed: UInt64, context: ComputeContext) -> any BatchLoss {
        TripletLoss(configuration: LossConfiguration(
            loss: .triplet, mining: mining, margin: p.margin, distance: p.distance, reducer: p.reducer, soft: p.soft,
            seed: seed), context: context)
    }

    public static var legacyCanonicalConstants: [String: ParameterValue]? {
        ["pos_margin": .double(0), "neg_margin": .double(0), "power": .int(1)]
    }
}
