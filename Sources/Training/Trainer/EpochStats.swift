/// The statistics of one training epoch.
public struct EpochStats: Codable, Equatable, Sendable {
    /// From 1.
    public var epoch: Int
    public var meanLoss: Double
    /// Mean over the epoch's batches of the loss's active fraction.
    public var activeFraction: Double
    public var seconds: Double
    public var samplesPerSecond: Double
    public var learningRate: Double

    public init(epoch: Int, meanLoss: Double, activeFraction: Double, seconds: Double, samplesPerSecond: Double, learningRate: Double) {
        self.epoch = epoch
        self.meanLoss = meanLoss
        self.activeFraction = activeFraction
        self.seconds = seconds
        self.samplesPerSecond = samplesPerSecond
        self.learningRate = learningRate
    }
}
