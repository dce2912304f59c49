import MetricLearning
import Training

/// A declared ablation table: one metric, rows by one axis, columns by another,
/// every other axis at the base value.
public struct TableSpec: Hashable, Sendable {
    public var rows: Axis
    public var columns: Axis
    public var metric: MetricID
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
    /// The metrics to report, in the order given.
    public var metrics: [MetricID]
    public var tables: [TableSpec]
    /// The `tune:` section: when present, every variant is tuned on validation folds before its test runs.
    public var tune: TuneSpec? = nil

    /// The K of every `recall@K` in `metrics` (`[1]` when none).
    public var recallK: [Int] {
        let ks = metrics.compactMap { m -> Int? in if case .recall(let k) = m { return k } else { return nil } }
        return ks.isEmpty ? [1] : ks
    }

    /// The F of every `val@far=F` in `metrics` (`[1e-3]` when none).
    public var fars: [Double] {
        let fs = metrics.compactMap { m -> Double? in if case .valAtFAR(let f) = m { return f } else { return nil } }
        return fs.isEmpty ? [1e-3] : fs
    }

    public struct Sweep: Sendable {
        public var axes: [(Axis, [AxisValue])]
        public var line: Int?
    }
}
