import Foundation
import MetricLearning
import NumericCore
import Training

/// The real executor: loads the data, trains through the shared `Trainer`,
/// embeds the unseen test classes and evaluates every metric.
public struct TrainingExecutor: RunExecutor {
    /// Points of the 2-D test-embedding map kept in each record.
    public var mapPoints = 600

    public init() {}

    public func execute(_ run: PlannedRun, spec: ExperimentSpec, context: ComputeContext) -> RunRecord {
        var record = RunRecord(run: run, experiment: spec.name)
        record.threads = context.workers
        record.blasKernel = BLAS.kernel
        let c = run.variant.configuration
        do {
            // Before the data exists (a synthetic set is generated from the spec's sizes), then with its real shape.
            let declared = MemoryEstimate.declaredShape(of: c.dataset)
            try MemoryEstimate(c, input: declared.input, samples: declared.samples).check()
            let data = try DatasetCache.shared.dataset(c.dataset)
            try MemoryEstimate(c, input: data.inputShape, samples: data.train.features.rows + data.test.features.rows).check()
            record.datasetFingerprint = data.fingerprint
            try Self.trainAndEvaluate(
                &record, configuration: c, seed: run.seed, train: data.train, evaluate: data.test,
                inputShape: data.inputShape, spec: spec, mapPoints: mapPoints, context: context)
        } catch {
            record.status = .failed
            record.reason = "\(error)"
        }
        record.peakMemoryBytes = MonotonicClock.peakResidentBytes()
        record.finishedAt = ISO8601DateFormatter().string(from: Date())
        return record
    }
}

extension TrainingExecutor {
    /// Trains configuration `c` with `seed` on `train` and evaluates every metric on `evaluate`
    /// (the test classes of a run, the validation fold of a tuning trial), filling `record`.
    static func trainAndEvaluate(
        _ record: inout RunRecord, configuration c: RunConfiguration, seed: UInt64, train: LabeledData, evaluate: LabeledData,
        inputShape: InputShape, spec: ExperimentSpec, mapPoints: Int, context: ComputeContext
    ) throws {
        var loss = try c.loss.makeLoss(seed: seed, context: context)
        let outcome = try Trainer.train(
            model: c.model, embeddingDim: c.embeddingDim, train: c.train, data: train,
            inputShape: inputShape, loss: &loss, seed: seed, context: context)
        record.epochs = outcome.epochs.map {
            EpochRecord(epoch: $0.epoch, loss: $0.meanLoss, activeFraction: $0.activeFraction, seconds: $0.seconds)
        }
        record.curve = outcome.curve.map {
            StepRecord(step: $0.step, steps: $0.steps, loss: $0.meanLoss, activeFraction: $0.activeFraction)
        }
        record.trainSeconds = outcome.trainSeconds
        record.samplesPerSecond = outcome.samplesPerSecond
        if case .diverged(let epoch, let reason) = outcome.status {
            record.status = .diverged
            record.divergedEpoch = epoch
            record.reason = reason
        } else {
            let evalStart = MonotonicClock.now()
            let embeddings = outcome.model.embed(evaluate.features)
            let recallK = Array(Set(spec.recallK + [1, 2, 4, 8])).sorted().filter { $0 < embeddings.rows }
            let options = EvaluationOptions(recallK: recallK, fars: spec.fars, seed: seed, context: context)
            let result = try evaluateEmbeddings(embeddings, labels: evaluate.labels, options: options)
            for (name, value) in result.named { record.metrics[name] = value }
            record.roc = result.roc.map { CurvePoint(x: $0.far, y: $0.val) }
            if mapPoints > 0 {
                record.map2D = PrincipalComponents.map2D(embeddings, labels: evaluate.labels, points: mapPoints, seed: seed)
            }
            record.evalSeconds = MonotonicClock.seconds(since: evalStart)
            record.status = .ok
        }
    }
}

/// Datasets loaded once per process and shared by every run (read-only).
final class DatasetCache: @unchecked Sendable {
    static let shared = DatasetCache()
    private let lock = NSLock()
    private var loaded: [DatasetSpec: Dataset] = [:]

    func dataset(_ spec: DatasetSpec) throws -> Dataset {
        lock.lock()
        defer { lock.unlock() }
        if let d = loaded[spec] { return d }
        let d = try loadDataset(spec)
        loaded[spec] = d
        return d
    }

    /// Forgets `spec`'s data, so the next run reads its files again (tests that rewrite them).
    func forget(_ spec: DatasetSpec) {
        lock.lock()
        loaded[spec] = nil
        lock.unlock()
    }
}
