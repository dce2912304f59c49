/// A learning-rate schedule: the rate for a given epoch and step.
public struct LearningRateSchedule: Sendable {
    public var kind: ScheduleKind
    public var baseRate: Double
    public var stepSize: Int
    public var gamma: Double
    public var totalSteps: Int

    public init(kind: ScheduleKind, baseRate: Double, stepSize: Int = 1, gamma: Double = 0.1, totalSteps: Int = 1) {
        precondition(stepSize >= 1 && totalSteps >= 1, "schedule step_size and total steps must be positive")
        self.kind = kind
        self.baseRate = baseRate
        self.stepSize = stepSize
        self.gamma = gamma
        self.totalSteps = totalSteps
    }

    /// The rate at `epoch` (from 0) and global optimizer step `step` (from 0).
    public func rate(epoch: Int, step: Int) -> Double {
        switch kind {
        case .constant:
            return baseRate
        case .step:
            var r = baseRate
            for _ in 0..<(epoch / stepSize) { r *= gamma }
            return r
        case .cosine:
            let progress = min(1, Double(step) / Double(totalSteps))
            return baseRate * 0.5 * (1 + _cosine(Double.pi * progress))
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
private func _cosine(_ x: Double) -> Double { cos(x) }
