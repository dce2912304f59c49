import Foundation
import NumericCore
import Testing
@testable import ExperimentHarness

/// A sweep whose products are large enough to be cut into tiles (≥ 8 MFLOP:
/// 64 × 256 × 512 in the first layer), with every loss family and a random miner.
private let invarianceSpec = """
    name: invariance
    dataset: { name: synthetic, classes: 24, train_classes: 16, samples_per_class: 24, input_dim: 256, latent_dim: 8, noise: 0.6 }
    model: { kind: mlp, hidden: [512], normalize: true }
    train: { optimizer: adam, learning_rate: 0.002, epochs: 2, samples_per_class: 8 }
    seeds: [3]
    base: { loss: triplet, mining: semihard, batch_size: 64, embedding_dim: 32 }
    sweeps:
      - { loss: [contrastive, triplet, lifted], mining: [all, distance-weighted] }
    metrics: [recall@1, recall@2, map@r, nmi, f1, val@far=1e-2]
    """

/// DESIGN §11: a run's metrics, loss curve and embeddings depend only on its
/// configuration and seed, not on `--threads`, `--jobs` or the shard layout.
@Test func aSweepGivesTheSameBitsForEveryThreadJobAndShardLayout() throws {
    let plan = try ExperimentPlan(SpecParser.parse(invarianceSpec, file: "invariance.yaml"))
    #expect(plan.runs.count == 5)
    func sweep(threads: Int, jobs: Int, shards: Int = 1) throws -> [String: RunRecord] {
        let store = try RunStore(directory: temporaryDirectory())
        for index in 0..<shards {
            var options = RunnerOptions()
            options.threads = threads
            options.jobs = jobs
            if shards > 1 { options.shard = (index, shards) }
            _ = try Runner.run(plan, store: store, executor: TrainingExecutor(), options: options, log: quiet)
        }
        let records = store.records().records
        #expect(records.count == plan.runs.count)
        return Dictionary(uniqueKeysWithValues: records.map { ($0.key, $0) })
    }
    let reference = try sweep(threads: 1, jobs: 1)
    for (name, other) in [("2 threads", try sweep(threads: 2, jobs: 1)),
                          ("2 jobs", try sweep(threads: 2, jobs: 2)),
                          ("3 threads, 3 shards", try sweep(threads: 3, jobs: 1, shards: 3))] {
        for (key, r) in reference {
            let o = try #require(other[key], "\(name): \(key) missing")
            #expect(r.status == .ok && o.status == .ok, "\(name): \(key)")
            #expect(r.metrics.mapValues(\.bitPattern) == o.metrics.mapValues(\.bitPattern), "\(name): metrics of \(key)")
            #expect(r.epochs.map(\.loss.bitPattern) == o.epochs.map(\.loss.bitPattern), "\(name): loss curve of \(key)")
            #expect(r.epochs.map(\.activeFraction.bitPattern) == o.epochs.map(\.activeFraction.bitPattern), "\(name): \(key)")
            #expect(r.roc == o.roc, "\(name): ROC of \(key)")
        }
    }
}
