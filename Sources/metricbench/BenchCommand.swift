import ArgumentParser
import Benchmarks
import Foundation
import MetricLearning
import NumericCore
import Training

/// `metricbench bench`: throughput of this machine, in one process, release build.
///
/// Training row names, mirrored by the PyTorch side in `benchmarks/`:
/// `LOSS/MINING/BATCH/EMBEDDING[/MODEL]` with MODEL `mlp` (default), `convnet`
/// (28×28) or `convnet32` (32×32); see ``TrainRow``.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure sgemm GFLOP/s, training throughput, loss+gradient time and evaluation time.",
        discussion: """
            Training rows: MLP 784-512-E (L2-normalised), Adam, P×K batches of the Fashion-MNIST \
            training classes 0–4, one full epoch timed after a warm-up (a tenth of one for the \
            convnet rows: --train LOSS/MINING/BATCH/EMB/convnet or /convnet32 for 32×32 inputs); \
            samples/s include the loss. The GEMM limit of a row is the model's dense products alone \
            (a convolution's as its whole-batch im2col GEMMs, also where the step computes it with \
            Winograd's 2.25× fewer multiplications, so a fraction above 1 means fewer flops than \
            im2col), timed interleaved with the steps, so machine load affects both alike. Quote \
            medians on a shared machine. JSON training rows carry phases_ms: milliseconds per step \
            of sampling, forward, loss, backward, optimizer update and the GEMM-limit products. \
            Cold rows step at learning rate 1e-6 from the initialisation; --warm adds each row again \
            after --trained-steps real steps at --learning-rate (a partly trained model, as in a real run).
            """)

    @Flag(help: "Print one JSON object instead of tables.") var json = false
    @Option(help: "Threads (the results do not depend on them).") var threads: Int = 2
    @Flag(help: "Skip the SOP-sized kNN (60,502 × 512) and k-means rows (they take minutes).") var quick = false
    @Option(name: .customLong("only"), parsing: .upToNextOption,
            help: "Run only these sections: train, loss, knn (both kNN rows), sop-knn, kmeans. Default: all.")
    var sections: [Section] = []
    @Option(help: "Rows per GEMM tile of the kNN sweeps.") var knnBlockSize: Int = 1024
    @Option(help: "Training rows to run, as LOSS/MINING/BATCH/EMBEDDING[/MODEL], e.g. triplet/semihard/1024/128 or triplet/semihard/128/128/convnet32; MODEL is mlp (default), convnet (28×28 Fashion-MNIST) or convnet32 (the images zero-padded to 32×32, the glyph size) (default: the table's rows).")
    var train: [String] = []
    @Option(name: .customLong("loss-batch-size"), help: "Batch sizes of the loss rows (default: 128, 512, 2048).")
    var lossBatchSizes: [Int] = [128, 512, 2048]
    @Option(help: "Samples per class K of the loss rows' P×K batches (the training rows draw 4 classes per batch: K = 32 at batch 128, 256 at batch 1024).")
    var samplesPerClass: Int = 8
    @Option(name: .customLong("loss"), help: "Loss rows to run, as LOSS or LOSS/MINING (default: every supported pair).")
    var lossFilter: [String] = []
    @Option(help: "Timed evaluations per loss row (the median is reported).") var lossRepeats: Int = 7
    @Flag(help: "Also measure every training row warm: after --trained-steps real steps at --learning-rate, timed at that rate (rows with \"warm\": true).")
    var warm = false
    @Option(help: "Real training steps before a warm row is timed.") var trainedSteps: Int = 200
    @Option(help: "Adam's learning rate of the warm rows (the cold rows step at 1e-6 from the initialisation).")
    var learningRate: Double = 1e-3

    enum Section: String, ExpressibleByArgument, CaseIterable {
        case train, loss, knn, sopKNN = "sop-knn", kmeans
    }

    func wants(_ section: Section) -> Bool {
        if sections.isEmpty { return !(quick && (section == .sopKNN || section == .kmeans)) }
        return sections.contains(section) || (section == .sopKNN && sections.contains(.knn))
    }

    /// Training row names (mirrored by the PyTorch side in benchmarks/):
    /// `LOSS/MINING/BATCH/EMBEDDING[/MODEL]`, MODEL one of ``TrainModel``
    /// (`mlp`, the default, `convnet`, `convnet32`). JSON rows carry `model`
    /// (`mlp` or `convnet`) and `input` (`784`, `1x28x28` or `1x32x32`).
    struct TrainRow: Codable {
        var loss: String, mining: String, model: String, input: String
        var batch_size: Int, embedding_dim: Int
        var samples_per_s: Double, samples_per_s_without_loss: Double
        var gemm_limit_samples_per_s: Double, fraction_of_gemm_limit: Double
        /// Timed after `trained_steps` real steps at `learning_rate` (warm), or from the initialisation at 1e-6.
        var warm: Bool, trained_steps: Int, learning_rate: Double
        /// Milliseconds per step of the step's phases and of the GEMM-limit products (where the time goes).
        var phases_ms: TrainingBenchmark.Phases
    }
    struct LossRow: Codable {
        var loss: String, mining: String, batch_size: Int, embedding_dim: Int, samples_per_class: Int, milliseconds: Double
    }
    struct EvalRow: Codable {
        var task: String, n: Int, dim: Int, classes: Int, seconds: Double
        var peak_memory_mb: Double, fraction_of_sgemm_peak: Double?
        var iterations: Int? = nil, seconds_per_iteration: Double? = nil
    }
    struct Output: Codable {
        var sgemm_gflops: Double, threads: Int, openblas_coretype: String, openblas_thread_timeout: String
        var train: [TrainRow], loss: [LossRow], eval: [EvalRow]
    }

    func validate() throws {
        guard lossBatchSizes.allSatisfy({ $0 >= 2 }) else { throw ValidationError("--loss-batch-size must be at least 2") }
        for text in lossFilter { _ = try Self.parseLossFilter(text) }
        for text in train { _ = try Self.parseTrainRow(text) }
        guard lossRepeats >= 1 else { throw ValidationError("--loss-repeats must be at least 1") }
        guard samplesPerClass >= 2 else { throw ValidationError("--samples-per-class must be at least 2") }
        guard trainedSteps >= 1 else { throw ValidationError("--trained-steps must be at least 1, got \(trainedSteps)") }
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--learning-rate must be positive, got \(learningRate)") }
    }

    func run() throws {
        try reportingErrors {
            try OptionChecks.atLeastOne(threads, "--threads")
            let context = ComputeContext(workers: threads)
            let coretype = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "(auto)"
            // The loss rows alone do not use the sgemm rate (and a profiler run of them should not pay for it).
            let needsSgemm = json || Section.allCases.contains { $0 != .loss && wants($0) }
            let gflops = needsSgemm ? BLAS.measureSgemmGFLOPs(n: 1536, repeats: 9, context: context) : 0
            if needsSgemm {
                say("sgemm: \(String(format: "%.1f", gflops)) GFLOP/s with \(threads) thread(s), OPENBLAS_CORETYPE=\(coretype)")
            } else {
                say("\(threads) thread(s), OPENBLAS_CORETYPE=\(coretype)")
            }

            var configs: [(LossKind, MiningKind, Int, Int, TrainModel)] = [
                (.contrastive, .all, 128, 128, .mlp), (.triplet, .semihard, 128, 128, .mlp), (.triplet, .all, 128, 128, .mlp),
                (.triplet, .hard, 128, 128, .mlp), (.lifted, .all, 128, 128, .mlp), (.triplet, .semihard, 256, 128, .mlp),
                (.triplet, .semihard, 128, 512, .mlp),
                (.contrastive, .all, 1024, 128, .mlp), (.triplet, .semihard, 1024, 128, .mlp), (.triplet, .all, 1024, 128, .mlp),
                (.triplet, .hard, 1024, 128, .mlp), (.lifted, .all, 1024, 128, .mlp),
            ]
            // One row per loss of the registry beyond the classic three, at batch 128 with its default miner.
            configs += LossKind.allCases.filter { ![.contrastive, .triplet, .lifted].contains($0) }.map { ($0, .all, 128, 128, .mlp) }
            // The convnet 32-64 at both input sizes and both batch sizes of the PyTorch comparison.
            configs += [(128, TrainModel.convnet), (256, .convnet), (128, .convnet32), (256, .convnet32)].map { (.triplet, .semihard, $0.0, 128, $0.1) }
            if !self.train.isEmpty { configs = try self.train.map(Self.parseTrainRow) }
            if !wants(.train) { configs = [] }
            let data = configs.isEmpty ? nil : try loadDataset(.fashionMNIST())
            let padded = configs.contains { $0.4 == .convnet32 } ? data!.zeroPadded(by: 2) : nil
            var train: [TrainRow] = []
            for ((l, m, b, e, model), warm) in configs.map({ ($0, false) }) + (warm ? configs.map { ($0, true) } : []) {
                let data = model == .convnet32 ? padded! : data!
                var loss = try LossRegistry.loss(l)!.make(mining: m, context: context)
                let k = PKSampler.suggestedSamplesPerClass(batchSize: b, classCount: 5)
                let epoch = (data.train.count + b - 1) / b
                // A convnet step costs about 30 MLP steps: a tenth of an epoch (at least 20 steps) gives a steady rate.
                let steps = model == .mlp ? epoch : max(20, epoch / 10)
                let trained = warm ? trainedSteps : 0
                let rate = warm ? learningRate : TrainingBenchmark.coldLearningRate
                let r = try TrainingBenchmark.measure(
                    model: model.spec, embeddingDim: e, batchSize: b, samplesPerClass: k, loss: &loss, data: data.train,
                    inputShape: data.inputShape, steps: steps, warmup: max(5, steps / 10),
                    trainedSteps: trained, learningRate: rate, context: context)
                let shape = data.inputShape
                let row = TrainRow(
                    loss: l.rawValue, mining: m.rawValue, model: model.spec.kind.rawValue,
                    input: model == .mlp ? "\(shape.count)" : "\(shape.channels)x\(shape.height)x\(shape.width)",
                    batch_size: b, embedding_dim: e,
                    samples_per_s: r.samplesPerSecondWithLoss, samples_per_s_without_loss: r.samplesPerSecond,
                    gemm_limit_samples_per_s: r.gemmLimitSamplesPerSecond,
                    fraction_of_gemm_limit: r.gemmLimitSamplesPerSecond > 0 ? r.samplesPerSecondWithLoss / r.gemmLimitSamplesPerSecond : 0,
                    warm: warm, trained_steps: trained, learning_rate: rate, phases_ms: r.phases)
                train.append(row)
                say(String(format: "train %-11@ %-9@ b%-5d e%-4d %-9@ %-4@ %9.0f samples/s (%.0f without loss), GEMM limit %.0f: %.0f%%",
                           l.rawValue, m.rawValue, b, e, model.rawValue, warm ? "warm" : "cold", row.samples_per_s, row.samples_per_s_without_loss,
                           row.gemm_limit_samples_per_s, 100 * row.fraction_of_gemm_limit))
            }

            var lossRows: [LossRow] = []
            var lossTimings: [LossTiming] = []
            if wants(.loss) {
                let filters = try lossFilter.map(Self.parseLossFilter)
                for (loss, mining) in filters.isEmpty ? [(nil, nil)] : filters.map({ (Optional($0.0), $0.1) }) {
                    lossTimings += try LossBenchmark.run(
                        batchSizes: lossBatchSizes, dim: 128, samplesPerClass: samplesPerClass, repeats: lossRepeats,
                        losses: loss.map { [$0] } ?? LossKind.allCases, minings: mining.map { [$0] } ?? MiningKind.allCases, context: context)
                }
            }
            for t in lossTimings {
                lossRows.append(LossRow(loss: t.loss.rawValue, mining: t.mining.rawValue, batch_size: t.batchSize,
                                        embedding_dim: t.dimension, samples_per_class: samplesPerClass, milliseconds: t.medianSeconds * 1000))
                say(String(format: "loss  %-11@ %-17@ b%-5d %9.3f ms", t.loss.rawValue, t.mining.rawValue, t.batchSize, t.medianSeconds * 1000))
            }

            var evalRows: [EvalRow] = []
            func knn(_ n: Int, _ d: Int, _ classes: Int, _ ks: [Int]) {
                let r = EvaluationBenchmark.run(n: n, dim: d, classes: classes, recallK: ks, seed: 0, blockSize: knnBlockSize, context: context)
                // The symmetric sweep needs n²·d multiply-adds = n²·d·... flops: 2·n²·d / 2.
                let flops = Double(n) * Double(n) * Double(d)
                let row = EvalRow(task: "knn recall@\(ks.map(String.init).joined(separator: ",")) + map@r", n: n, dim: d, classes: classes,
                                  seconds: r.seconds, peak_memory_mb: Double(r.peakBytes) / 1e6,
                                  fraction_of_sgemm_peak: flops / r.seconds / 1e9 / gflops)
                evalRows.append(row)
                say(String(format: "eval  %@ on %d × %d (%d classes): %.2f s, peak RSS %.0f MB, %.0f%% of sgemm peak for the symmetric half",
                           row.task, n, d, classes, row.seconds, row.peak_memory_mb, 100 * (row.fraction_of_sgemm_peak ?? 0)))
            }
            if wants(.knn) { knn(20_000, 128, 2_000, [1, 2, 4, 8]) }
            if wants(.sopKNN) { knn(60_502, 512, 11_316, [1, 10, 100, 1000]) }
            if wants(.kmeans) {
                let km = EvaluationBenchmark.runKMeans(n: 60_502, dim: 512, clusters: 11_316, iterations: 20, seed: 0, context: context)
                let row = EvalRow(task: "k-means++ and Lloyd until no assignment changes (at most 20 iterations)",
                                  n: km.n, dim: km.dim, classes: km.clusters,
                                  seconds: km.seedingSeconds + km.iterationSeconds, peak_memory_mb: Double(km.peakBytes) / 1e6,
                                  fraction_of_sgemm_peak: 2 * Double(km.n) * Double(km.clusters) * Double(km.dim)
                                      / km.secondsPerIteration / 1e9 / gflops,
                                  iterations: km.iterations, seconds_per_iteration: km.secondsPerIteration)
                evalRows.append(row)
                say(String(format: "eval  %@ on %d × %d, K = %d: %.1f s (seeding %.1f s, %d iterations of %.2f s = %.0f%% of sgemm peak), peak RSS %.0f MB",
                           row.task, km.n, km.dim, km.clusters, row.seconds, km.seedingSeconds, km.iterations,
                           km.secondsPerIteration, 100 * (row.fraction_of_sgemm_peak ?? 0), row.peak_memory_mb))
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let out = Output(sgemm_gflops: gflops, threads: threads, openblas_coretype: coretype,
                                 openblas_thread_timeout: ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] ?? "(default)", train: train, loss: lossRows, eval: evalRows)
                print(String(data: try encoder.encode(out), encoding: .utf8)!)
            }
        }
    }

    /// `LOSS/MINING/BATCH/EMBEDDING[/MODEL]` → a training row.
    static func parseTrainRow(_ text: String) throws -> (LossKind, MiningKind, Int, Int, TrainModel) {
        let parts = text.split(separator: "/").map(String.init)
        guard (4...5).contains(parts.count), let loss = LossKind(rawValue: parts[0]), let mining = MiningKind(rawValue: parts[1]),
              let b = Int(parts[2]), let e = Int(parts[3]), b > 0, e > 0,
              let model = parts.count == 5 ? TrainModel(rawValue: parts[4]) : .mlp else {
            throw ValidationError("--train \(text): expected LOSS/MINING/BATCH/EMBEDDING[/MODEL] with MODEL one of "
                                  + TrainModel.allCases.map(\.rawValue).joined(separator: ", ")
                                  + ", e.g. triplet/semihard/1024/128 or triplet/semihard/128/128/convnet32")
        }
        return (loss, mining, b, e, model)
    }

    /// `LOSS` or `LOSS/MINING` → a loss-row filter (mining nil: every supported mining).
    static func parseLossFilter(_ text: String) throws -> (LossKind, MiningKind?) {
        let parts = text.split(separator: "/").map(String.init)
        guard (1...2).contains(parts.count), let loss = LossKind(rawValue: parts[0]) else {
            throw ValidationError("--loss \(text): expected LOSS or LOSS/MINING, e.g. triplet/semihard")
        }
        if parts.count == 1 { return (loss, nil) }
        guard let mining = MiningKind(rawValue: parts[1]) else {
            throw ValidationError("--loss \(text): unknown mining '\(parts[1])'")
        }
        return (loss, mining)
    }

    /// Human output goes to stdout, or to stderr as progress when --json owns stdout.
    func say(_ line: String) {
        if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
    }
}
