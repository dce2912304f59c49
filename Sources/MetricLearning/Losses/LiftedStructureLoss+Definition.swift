import NumericCore

extension LiftedStructureLoss: LossDefinition {
    /// Lifted structured loss's spec keys and defaults (DESIGN §3): the
    /// margin α alone; the distance is euclidean and the normalisation
    /// 1/(2|P|) is part of the loss.
    public struct Parameters: LossParameterSet {
        public var margin = 1.0

        public init() {}

        public func validate() throws {
            guard margin.isFinite else { throw LossError.invalidParameter("margin must be a finite number, got \(margin)") }
        }
    }

    /// The two forms of the loss, chosen by the miner.
    public enum Mining: Sendable {
        /// Eq. (4), the log-sum-exp bound: mining `all`.
        case smooth
        /// Eq. (3), the nested max: mining `hard`.
        case exact
    }

    public static let name = "lifted"

    public static func mining(_ kind: MiningKind) -> Mining? {
        switch kind {
        case .all: return .smooth
        case .hard: return .exact
        case .semihard, .batchHard, .random, .distanceWeighted, .multiSimilarity: return nil
        }
    }

    public static func make(_ p: Parameters, mining: Mining, seed: UInt64, context: ComputeContext) -> any BatchLoss {
        let kind: MiningKind
        switch mining {
        case .smooth: kind = .all
        case .exact: kind = .hard
        }
        return LiftedStructureLoss(configuration: LossConfiguration(
            loss: .lifted, mining: kind, margin: p.margin, distance: .euclidean, reducer: .mean, seed: seed), context: context)
    }

    public static var legacyCanonicalConstants: [String: ParameterValue]? {
        ["pos_margin": .double(0), "neg_margin": .double(0), "power": .int(1),
         "distance": .string("euclidean"), "reducer": .string("mean"), "soft": .bool(false)]
    }
}
