/// Keeps a training curve of a bounded size: the mean loss and active fraction
/// of every `stride` consecutive steps.
///
/// With `totalSteps` planned steps and at most `maxPoints` points,
/// `stride = ⌈totalSteps / maxPoints⌉`, so a run of any length gives at most
/// `maxPoints` points; the last point may cover fewer steps (an epoch count that
/// does not divide, or a run stopped by divergence). The buffer is reserved
/// once, so `add` never allocates inside the training loop.
///
/// The sums are kept apart from the trainer's per-epoch sums: recording a
/// curve changes no number the trainer reports.
public struct LossCurveRecorder: Sendable {
    /// Steps averaged into one point.
    public let stride: Int
    public private(set) var points: [LossCurvePoint]
    private var step = 0
    private var pendingSteps = 0
    private var lossSum = 0.0
    private var activeSum = 0.0

    /// The default bound on a record's curve: enough for a smooth plot, small in JSON (~60 bytes a point).
    public static let defaultMaxPoints = 200

    public init(totalSteps: Int, maxPoints: Int = LossCurveRecorder.defaultMaxPoints) {
        precondition(maxPoints >= 1, "a curve needs at least one point")
        stride = max(1, (max(totalSteps, 1) + maxPoints - 1) / maxPoints)
        points = []
        points.reserveCapacity((max(totalSteps, 1) + stride - 1) / stride)
    }

    /// Adds one finished step.
    public mutating func add(loss: Double, activeFraction: Double) {
        step += 1
        pendingSteps += 1
        lossSum += loss
        activeSum += activeFraction
        if pendingSteps == stride { flush() }
    }

    /// The points with the last, partial one closed.
    public func finished() -> [LossCurvePoint] {
        var copy = self
        copy.flush()
        return copy.points
    }

    private mutating func flush() {
        guard pendingSteps > 0 else { return }
        let n = Double(pendingSteps)
        points.append(LossCurvePoint(step: step, steps: pendingSteps, meanLoss: lossSum / n, activeFraction: activeSum / n))
        pendingSteps = 0
        lossSum = 0
        activeSum = 0
    }
}
