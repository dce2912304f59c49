/// Every loss MetricBench can train and evaluate, one line each: the spec's
/// `loss:` values, the sweep axes of their parameters and `metricbench
/// loss` all come from this list.
public enum LossRegistry {
    public static let losses: [RegisteredLoss] = [
        RegisteredLoss(ContrastiveLoss.self),
        RegisteredLoss(TripletLoss.self),
        RegisteredLoss(LiftedStructureLoss.self),
        RegisteredLoss(MultiSimilarityLoss.self),
        RegisteredLoss(MarginLoss.self),
        RegisteredLoss(NTXentLoss.self),
        RegisteredLoss(SupConLoss.self),
        RegisteredLoss(ProxyNCALoss.self),
        RegisteredLoss(ProxyAnchorLoss.self),
        RegisteredLoss(NormalizedSoftmaxLoss.self),
        RegisteredLoss(ArcFaceLoss.self),
        RegisteredLoss(CosFaceLoss.self),
        RegisteredLoss(CircleLoss.self),
    ]

    /// The registered loss of `kind`.
    public static func loss(_ kind: LossKind) -> RegisteredLoss? {
        losses.first { $0.kind == kind }
    }

    /// Every parameter key of every loss, each once (the first loss to
    /// declare a key gives its kind), in registration order.
    public static var parameterKeys: [LossParameterKey] {
        var seen = Set<String>()
        return losses.flatMap(\.parameterKeys).filter { seen.insert($0.name).inserted }
    }
}
