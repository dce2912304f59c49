/// The training loss and active fraction averaged over `steps` consecutive steps ending at `step` (1-based).
///
/// A record keeps a bounded number of these (`LossCurveRecorder`), next to its per-epoch `EpochRecord`s.
public struct StepRecord: Codable, Hashable, Sendable {
    public var step: Int
    public var steps: Int
    public var loss: Double
    public var activeFraction: Double

    public init(step: Int, steps: Int, loss: Double, activeFraction: Double) {
        self.step = step
        self.steps = steps
        self.loss = loss
        self.activeFraction = activeFraction
    }

    enum CodingKeys: String, CodingKey {
        case step, steps, loss
        case activeFraction = "active_fraction"
    }
}
