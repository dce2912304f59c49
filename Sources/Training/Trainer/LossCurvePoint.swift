/// The training loss and active fraction averaged over a run of consecutive steps.
public struct LossCurvePoint: Codable, Equatable, Sendable {
    /// The 1-based index of the last step the point covers (its x on a loss-per-step plot).
    public var step: Int
    /// How many steps the point averages (the recorder's stride; fewer for a last, partial point).
    public var steps: Int
    public var meanLoss: Double
    public var activeFraction: Double

    public init(step: Int, steps: Int, meanLoss: Double, activeFraction: Double) {
        self.step = step
        self.steps = steps
        self.meanLoss = meanLoss
        self.activeFraction = activeFraction
    }
}
