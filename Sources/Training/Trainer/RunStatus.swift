/// How a training run ended.
public enum RunStatus: Equatable, Sendable {
    case ok
    /// The loss or its gradient stopped being finite during `epoch` (from 1).
    case diverged(epoch: Int, reason: String)
}
