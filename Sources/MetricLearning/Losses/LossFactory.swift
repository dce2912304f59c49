import NumericCore

/// Builds the loss a configuration describes, after checking that the loss
/// supports the miner (`supports(_:_:)`) and that the parameters are valid.
///
/// Throws `LossError.unsupported` for a combination DESIGN §4 marks n/a and
/// `LossError.invalidParameter` for a power other than 1 or 2 or a margin
/// that is not finite (or negative, for the contrastive margins), and for
/// lifted with a distance other than euclidean or a reducer other than mean.
public func makeBatchLoss(_ configuration: LossConfiguration, context: ComputeContext = .serial) throws -> any BatchLoss {
    guard supports(configuration.loss, configuration.mining) else {
        throw LossError.unsupported(configuration.loss, configuration.mining)
    }
    guard configuration.resolvedMargin.isFinite else {
        throw LossError.invalidParameter("margin must be a finite number, got \(configuration.resolvedMargin)")
    }
    switch configuration.loss {
    case .contrastive:
        guard [1, 2].contains(configuration.resolvedPower) else {
            throw LossError.invalidParameter("contrastive power must be 1 or 2, got \(configuration.resolvedPower)")
        }
        for (name, value) in [("pos-margin", configuration.resolvedPosMargin), ("neg-margin", configuration.resolvedNegMargin)] {
            guard value.isFinite, value >= 0 else {
                throw LossError.invalidParameter("\(name) must be a finite number ≥ 0, got \(value)")
            }
        }
        return ContrastiveLoss(configuration: configuration, context: context)
    case .triplet:
        return TripletLoss(configuration: configuration, context: context)
    case .lifted:
        // DESIGN §3 defines lifted on the euclidean distance with its own 1/(2|P|)
        // normalisation; other settings would silently compute a different loss.
        guard configuration.resolvedDistance == .euclidean else {
            throw LossError.invalidParameter("the lifted structured loss is defined on the euclidean distance (DESIGN §3), not \(configuration.resolvedDistance.rawValue)")
        }
        guard configuration.resolvedReducer == .mean else {
            throw LossError.invalidParameter("the lifted structured loss has its own normalisation 1/(2|P|) (DESIGN §3); the reducer '\(configuration.resolvedReducer.rawValue)' does not apply")
        }
        return LiftedStructureLoss(configuration: configuration, context: context)
    }
}
