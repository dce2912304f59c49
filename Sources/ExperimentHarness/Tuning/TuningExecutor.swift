import Foundation
import MetricLearning
import NumericCore
import Training

/// Trains a tuning trial on the training classes outside its fold and scores it on the fold's classes.
///
/// Its only data is `TrainingClasses`: nothing it calls can load or see the test split.
public struct TuningExecutor: RunExecutor {
    public var folds: ValidationFolds
    /// Trial run variant id → its fold.
    public var foldOf: [String: Int]
    /// The training classes; loaded from the spec's dataset when nil.
    public var classes: TrainingClasses?

    public init(folds: ValidationFolds, foldOf: [String: Int], classes: TrainingClasses? = nil) {
        self.folds = folds
        self.foldOf = foldOf
        self.classes = classes
    }

    public func execute(_ run: PlannedRun, spec: ExperimentSpec, context: ComputeContext) -> RunRecord {
        var record = RunRecord(run: run, experiment: spec.name)
        record.threads = context.workers
        let c = run.variant.configuration
        do {
            guard let fold = foldOf[run.variant.id] else { preconditionFailure("\(run.key) is not a trial of this tuning plan") }
            let data = try classes ?? TrainingClasses.load(c.dataset)
            record.datasetFingerprint = data.fingerprint
            let (train, validation) = data.split(folds, fold: fold)
            try TrainingExecutor.trainAndEvaluate(
                &record, configuration: c, seed: run.seed, train: train, evaluate: validation,
                inputShape: data.inputShape, spec: spec, mapPoints: 0, context: context)
        } catch {
            record.status = .failed
            record.reason = "\(error)"
        }
        record.peakMemoryBytes = MonotonicClock.peakResidentBytes()
        record.finishedAt = ISO8601DateFormatter().string(from: Date())
        return record
    }
}
