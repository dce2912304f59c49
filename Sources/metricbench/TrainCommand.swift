import ArgumentParser
import ExperimentHarness
import Benchmarks
import Foundation
import MetricLearning
import NumericCore
import Training

/// `metricbench train`: one training run through the shared trainer, without a spec file.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one embedding network and optionally write the test-split embeddings.",
        discussion: """
            Trains on the training classes and embeds the test split — classes the network \
            never saw. Per-epoch loss, active fraction and throughput go to stderr. \
            --bench-throughput instead measures the training step with a trivial loss.
            """)

    @Option(help: "A registered dataset (\(DatasetRegistry.names.joined(separator: " | "))) usable with its defaults.") var dataset: String = "fashion-mnist"
    @Option(help: "Folder of MNIST-format IDX files (fashion-mnist).") var dataPath: String = FashionMNIST.defaultPath
    @Option(help: "Classes of the synthetic (default 200) or glyphs (default 3000) dataset.") var classes: Int?
    @Option(help: "Input dimension of the synthetic dataset.") var inputDim: Int = 64
    @Option(help: "linear | mlp | convnet") var model: String = "mlp"
    @Option(help: "Hidden widths of mlp, comma-separated.") var hidden: String = "512"
    @Option(help: "Convolution channels of convnet, comma-separated.") var channels: String = "32,64"
    @Flag(help: "Do not L2-normalise the embeddings.") var noNormalize = false
    @Option var embeddingDim: Int = 128
    @Option(help: "contrastive | triplet | lifted") var loss: String = "triplet"
    @Option(help: "all | semihard | hard | batch-hard | random | distance-weighted") var mining: String = "semihard"
    @Option var batchSize: Int = 128
    @Option(help: "K of the P×K sampler (default: 4, or the smallest K that fits the training classes).")
    var samplesPerClass: Int?
    @Option var epochs: Int = 2
    @Option(help: "adam | adamw | sgd") var optimizer: String = "adam"
    @Option var lr: Double = 0.001
    @Option var seed: UInt64 = 0
    @Option(help: "Threads (the results do not depend on them).") var threads: Int = 2
    @Option(help: "Cap on batches per epoch.") var maxSteps: Int?
    @Option(help: "Write the test embeddings here (.npy, float32).") var embeddingsOut: String?
    @Option(help: "Write the test labels here (.npy, int64).") var labelsOut: String?
    @Flag(help: "Measure training throughput with a trivial loss instead of training.") var benchThroughput = false
    @Option(help: "Timed steps of --bench-throughput.") var benchSteps: Int = 200

    func run() throws {
        try reportingErrors {
            try OptionChecks.atLeastOne(threads, "--threads")
            if let embeddingsOut { try OptionChecks.outputFile(embeddingsOut, option: "--embeddings-out") }
            if let labelsOut { try OptionChecks.outputFile(labelsOut, option: "--labels-out") }
            let context = ComputeContext(workers: threads)
            guard let datasetKind = DatasetKind(rawValue: dataset), let registered = DatasetRegistry.dataset(datasetKind) else {
                throw UsageFailure("--dataset must be one of \(DatasetRegistry.names.joined(separator: ", ")), got '\(dataset)'")
            }
            guard let modelKind = ModelKind(rawValue: model) else {
                throw UsageFailure("--model must be linear, mlp or convnet, got '\(model)'")
            }
            guard let optimizerKind = OptimizerKind(rawValue: optimizer) else {
                throw UsageFailure("--optimizer must be adam, adamw or sgd, got '\(optimizer)'")
            }
            let modelSpec = ModelSpec(kind: modelKind, hidden: try integers(hidden, "--hidden"),
                                      channels: try integers(channels, "--channels"), normalize: !noNormalize)
            // The options this dataset has, by their spec keys; the others do not apply to it.
            var values: [String: Any] = ["path": dataPath, "input_dim": inputDim, "seed": seed]
            if let classes { values["classes"] = classes }
            let datasetSpec = DatasetSpec(erased: try registered.options(specValues: values.filter { registered.specKeys.contains($0.key) }))
            do { try datasetSpec.validate() } catch let e as DatasetError {
                throw UsageFailure("--dataset \(dataset): \(e) (a dataset that needs files is trained through an experiment file)")
            }

            // Sizes from the command line, checked against this machine before anything is allocated.
            try OptionChecks.atLeastOne(embeddingDim, "--embedding-dim")
            let declared = MemoryEstimate.declaredShape(of: datasetSpec)
            try MemoryEstimate(model: modelSpec, embeddingDim: embeddingDim, batchSize: batchSize,
                               input: declared.input, samples: declared.samples).check()
            let data = try loadDataset(datasetSpec)
            try MemoryEstimate(model: modelSpec, embeddingDim: embeddingDim, batchSize: batchSize,
                               input: data.inputShape, samples: data.train.count + data.test.count).check()
            let k = samplesPerClass ?? PKSampler.suggestedSamplesPerClass(batchSize: batchSize, classCount: data.train.classes.count)
            note("data: \(data.train.count) train samples (\(data.train.classes.count) classes), \(data.test.count) test samples (\(data.test.classes.count) unseen classes); batch \(batchSize) = \(batchSize / max(k, 1)) classes × \(k)")

            if benchThroughput {
                var cheap: any BatchLoss = BenchmarkLoss(samplesPerClass: k)
                let r = try TrainingBenchmark.measure(model: modelSpec, embeddingDim: embeddingDim, batchSize: batchSize,
                                                      samplesPerClass: k, optimizer: optimizerKind, loss: &cheap,
                                                      data: data.train, inputShape: data.inputShape, steps: max(1, benchSteps),
                                                      context: context)
                print(String(format: "%.0f samples/s (excluding the loss; %.0f including it); GEMMs alone %.0f samples/s (%.0f%%); %d steps of batch %d, %d threads",
                             r.samplesPerSecond, r.samplesPerSecondWithLoss, r.gemmLimitSamplesPerSecond, 100 * r.fractionOfGEMMLimit,
                             r.steps, r.batchSize, threads))
                return
            }

            guard let lossKind = LossKind(rawValue: loss) else {
                throw UsageFailure("--loss must be one of \(LossKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(loss)'")
            }
            guard let miningKind = MiningKind(rawValue: mining) else {
                throw UsageFailure("--mining must be one of \(MiningKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(mining)'")
            }
            var batchLoss = try LossRegistry.loss(lossKind)!.make(mining: miningKind, seed: seed, context: context)
            let trainSpec = TrainSpec(optimizer: optimizerKind, learningRate: lr, epochs: epochs, batchSize: batchSize,
                                      samplesPerClass: k, maxStepsPerEpoch: maxSteps)
            let outcome = try Trainer.train(
                model: modelSpec, embeddingDim: embeddingDim, train: trainSpec, data: data.train,
                inputShape: data.inputShape, loss: &batchLoss, seed: seed, context: context
            ) { e in
                note(String(format: "epoch %d: loss %.5f, active %.3f, %.1f s, %.0f samples/s",
                            e.epoch, e.meanLoss, e.activeFraction, e.seconds, e.samplesPerSecond))
            }
            if case .diverged(let epoch, let reason) = outcome.status {
                note("diverged in epoch \(epoch): \(reason)")
            }
            note(String(format: "trained in %.1f s, %.0f samples/s", outcome.trainSeconds, outcome.samplesPerSecond))
            if let path = embeddingsOut {
                try NPY.write(outcome.model.embed(data.test.features), to: path)
                note("wrote \(data.test.count) test embeddings to \(path)")
            }
            if let path = labelsOut {
                try NPY.write(labels: data.test.labels, to: path)
                note("wrote \(data.test.count) test labels to \(path)")
            }
            if case .diverged = outcome.status { throw ExitCode(1) }
        }
    }

    private func integers(_ text: String, _ option: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            guard let v = Int(part.trimmingCharacters(in: .whitespaces)), v > 0 else {
                throw UsageFailure("\(option) takes positive integers separated by commas, got '\(text)'")
            }
            return v
        }
    }

    private func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
