import MetricLearning
import Training

/// A declared ablation table: one metric, rows by one axis, columns by another,
/// every other axis at the base value.
public struct TableSpec: Hashable, Sendable {
    public var rows: Axis
    public var columns: Axis
    public var metric: String
}

/// A validated experiment file (DESIGN §8).
public struct ExperimentSpec: Sendable {
    /// The file it was read from (for messages).
    public var file: String
    public var name: String
    public var description: String
    public var dataset: DatasetSpec
    public var model: ModelSpec
    public var train: TrainSpec
    public var seeds: [UInt64]
    /// The axes of the base variant, in file order.
    public var base: [(Axis, AxisValue)]
    /// Each sweep is a grid: axes with their values, in file order; `line` locates it.
    public var sweeps: [Sweep]
    /// Canonical metric names, in the order given.
    public var metrics: [String]
    public var tables: [TableSpec]
    /// Recall@K values and FAR values the evaluation needs for `metrics`.
    public var recallK: [Int]
    public var fars: [Double]

    public struct Sweep: Sendable {
        public var axes: [(Axis, [AxisValue])]
        public var line: Int?
    }
}
