import NumericCore

/// The state of one training run and its three phases, shared by `Trainer`
/// and `TrainingBenchmark` so that the benchmark measures the real loop.
///
/// Every workspace is allocated here, once; a step allocates nothing (given a
/// loss that keeps its own workspaces).
@_spi(Benchmarks) public struct TrainingStep {
    public let model: EmbeddingModel
    let data: LabeledData
    public var sampler: PKSampler
    var optimizer: Optimizer
    var indices: [Int]
    var batch: Matrix
    var labels: [Int32]
    var gradient: Matrix
    /// The optimizer of the loss's own parameters (proxies, class weights), if any.
    var lossOptimizer: Optimizer

    /// `context`'s workers share the optimizer's update and the batch gather
    /// (elementwise: the results do not depend on them).
    public init(model: EmbeddingModel, data: LabeledData, train: TrainSpec, seed: UInt64, context: ComputeContext = .serial) throws {
        self.model = model
        self.data = data
        sampler = try PKSampler(labels: data.labels, batchSize: train.batchSize, samplesPerClass: train.samplesPerClass, seed: seed)
        optimizer = Optimizer(kind: train.optimizer, momentum: Float(train.momentum), weightDecay: Float(train.weightDecay), context: context)
        indices = [Int](repeating: 0, count: train.batchSize)
        batch = Matrix(rows: train.batchSize, cols: data.features.cols)
        labels = [Int32](repeating: 0, count: train.batchSize)
        gradient = Matrix(rows: train.batchSize, cols: model.embeddingDim)
        lossOptimizer = Optimizer(kind: train.optimizer, momentum: Float(train.momentum))
    }

    /// Sizes the loss's own parameters for this run's training classes.
    public func prepare(_ loss: inout any BatchLoss, seed: UInt64) throws {
        let classes = Array(Set(data.labels)).sorted()
        try loss.prepare(classes: classes, dimension: model.embeddingDim, seed: seed)
    }

    /// Draws the next P×K batch into `batch` and `labels`.
    public mutating func sampleBatch() {
        sampler.nextBatch(into: &indices)
        data.features.gatherRows(indices, into: &batch, context: optimizer.context)
        indices.withUnsafeBufferPointer { idx in
            data.labels.withUnsafeBufferPointer { all in
                labels.withUnsafeMutableBufferPointer { out in
                    for j in 0..<idx.count { out[j] = all[idx[j]] }
                }
            }
        }
    }

    /// Embeds the batch; the loss then reads `model.output`.
    public func forward() { model.forward(batch) }

    /// Evaluates `loss` on the embeddings, writing dLoss/dEmbeddings into `gradient`.
    public mutating func evaluate(_ loss: inout any BatchLoss) throws -> LossResult {
        try loss.evaluate(embeddings: model.output, labels: labels, gradient: &gradient)
    }

    /// Backpropagates `gradient` and takes one optimizer step.
    public mutating func backwardAndUpdate(learningRate: Double) {
        backward()
        update(learningRate: learningRate)
    }

    /// Backpropagates `gradient` into the parameter gradients (the first half of `backwardAndUpdate`).
    public func backward() { model.backward(input: batch, outputGradient: gradient) }

    /// One optimizer step from the parameter gradients (the second half of `backwardAndUpdate`).
    public mutating func update(learningRate: Double) { optimizer.update(model, learningRate: Float(learningRate)) }

    /// One optimizer step of the loss's own parameters (none for most losses).
    public mutating func updateLoss(_ loss: inout any BatchLoss, learningRate: Double) {
        lossOptimizer.update(learningRate: Float(learningRate)) { loss.visitParameters($0) }
    }
}
