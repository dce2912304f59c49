import Foundation
import MetricLearning

/// Runs the tuning stage of a spec with `tune:`, then its final runs.
///
/// Trials are run records in `<out>/tuning/runs/` (atomic, claimed, resumable
/// and shardable exactly like runs); the final runs go to `<out>/runs/` as
/// the runs of an untuned spec do. Only the final stage reads the test split.
public enum Tuner {
    /// What `run` did.
    public struct Outcome: Sendable {
        public var trials: RunTally
        public var finals: RunTally
        /// Whether every search is complete (else a shard waits for the others: run again when they finish).
        public var complete: Bool
    }

    /// The trial store of results folder `directory`.
    public static func trialStore(_ directory: String, create: Bool = true) throws -> RunStore {
        try RunStore(directory: directory + "/tuning", create: create)
    }

    /// The folds of the spec's training classes (seeded by the spec's first seed), checked against every variant's batch.
    /// A `TuningError` comes back as a `SpecError` naming the spec file, the `tune:` line and `folds`.
    public static func folds(_ tuning: TuningPlan, classes: TrainingClasses) throws -> ValidationFolds {
        let spec = tuning.plan.spec
        do {
            let folds = try ValidationFolds(classes: classes.data.labels, folds: tuning.tune.folds, seed: tuning.trialSeed)
            let all = Set(classes.data.labels).count
            for search in tuning.searches {
                let t = search.variant.configuration.train
                let perBatch = t.batchSize / t.samplesPerClass
                for (f, held) in folds.classes.enumerated() where all - held.count < perBatch {
                    throw TuningError.tooFewClassesToTrain(fold: f, classes: all - held.count, needed: perBatch)
                }
            }
            return folds
        } catch let e as TuningError {
            throw SpecError(file: spec.file, line: tuning.tune.line, key: "tune.folds", message: e.description)
        }
    }

    /// A shard takes its share of the first stage only (halving's first rung, tpe's start-up trials). Which later trials and final runs exist
    /// depends on how far the other shards got, so a share of them would not be stable: every
    /// shard that gets there takes up all of them, the run claims dividing the work (no run trains
    /// twice), and the shard that finishes last leaves nothing undone.
    static func stageOptions(_ options: RunnerOptions, first: Bool) -> RunnerOptions {
        var o = options
        if !first { o.shard = nil }
        return o
    }

    /// Checks what the spec alone cannot show (the folds against the data's training classes,
    /// every trial's draws) before anything is written; loads the training classes.
    public static func check(_ plan: ExperimentPlan) throws {
        let tuning = try TuningPlan(plan)
        _ = try folds(tuning, classes: TrainingClasses.load(plan.spec.dataset))
    }

    /// Runs every pending trial, rung by rung, then the final runs of the searches that are complete.
    public static func run(
        _ plan: ExperimentPlan, directory: String, final executor: any RunExecutor, options: RunnerOptions,
        classes: TrainingClasses? = nil, log: @escaping @Sendable (String) -> Void
    ) throws -> Outcome {
        let tuning = try TuningPlan(plan)
        let data = try classes ?? TrainingClasses.load(plan.spec.dataset)
        let folds = try Self.folds(tuning, classes: data)
        let store = try trialStore(directory)
        var trials = RunTally()
        for stage in 0..<tuning.stages {
            let (records, _) = store.records()
            let (runs, allPlanned) = tuning.runs(stage: stage, records: Dictionary(records.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a }))
            if tuning.tune.search == .tpe {
                let wave = tuning.waves[stage]
                log("tuning wave \(stage + 1)/\(tuning.stages): trial(s) \(wave.lowerBound)–\(wave.upperBound - 1) × \(tuning.tune.folds) fold(s) per variant\(stage == 0 ? " (random start-up)" : ", drawn by TPE from the \(wave.lowerBound) finished")")
            } else if tuning.rungs.count > 1 {
                log("tuning rung \(stage + 1)/\(tuning.rungs.count): \(tuning.rungs[stage].trials) trial(s) × \(tuning.tune.folds) fold(s) per variant, \(tuning.rungs[stage].epochs) epoch(s)")
            }
            let foldOf = Dictionary(runs.map { ($0.variant.id, TuningPlan.fold(ofTrialID: $0.variant.id)) }, uniquingKeysWith: { a, _ in a })
            let executor = TuningExecutor(folds: folds, foldOf: foldOf, classes: data)
            let tally = try Runner.run(runs, spec: plan.spec, store: store, executor: executor, options: stageOptions(options, first: stage == 0), log: log)
            trials.selected += tally.selected
            trials.alreadyDone += tally.alreadyDone
            trials.ok += tally.ok
            trials.diverged += tally.diverged
            trials.failed += tally.failed
            guard allPlanned else {
                log("tuning: \(tuning.tune.search == .tpe ? "wave" : "rung") \(stage + 1) of some variants waits for trials another shard is running; run again once the other shards finish")
                break
            }
        }
        let (records, problems) = store.records()
        problems.forEach(log)
        let outcomes = tuning.outcomes(Dictionary(records.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a }))
        let complete = outcomes.allSatisfy(\.complete)
        let finalPlan = tuning.finalPlan(outcomes)
        for o in outcomes {
            guard let chosen = o.chosen, let v = o.chosenVariant else { continue }
            let values = o.search.trials[chosen.trial].values.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
            log("tuned \(o.search.variant.configuration.loss.loss)/\(o.search.variant.configuration.loss.mining): trial \(chosen.trial) (\(values)), validation \(tuning.tune.metric) \(String(format: "%.4f", chosen.mean ?? .nan)) → \(v.id)")
        }
        let finals = try Runner.run(finalPlan, store: RunStore(directory: directory), executor: executor, options: stageOptions(options, first: false), log: log)
        return Outcome(trials: trials, finals: finals, complete: complete)
    }
}
