import NumericCore

/// An embedding network: a chain of layers ending in the embedding `Linear`
/// layer and, when `spec.normalize`, an `L2Normalize`.
///
/// A reference type because it owns the layers' reusable workspaces; it is
/// not safe to use one model from several threads at once (`embed` uses the
/// same workspaces as training).
public final class EmbeddingModel {
    public let spec: ModelSpec
    public let inputShape: InputShape
    public let embeddingDim: Int
    public let layers: [any Layer]

    /// Builds the network `spec` describes with seeded He-uniform initialisation.
    ///
    /// - Throws: `ModelError` for sizes that make no sense or a convnet on flat features.
    /// The layers' products run in fixed tiles on `context`'s workers, so the
    /// model computes the same bits for every worker count.
    public init(spec: ModelSpec, inputShape: InputShape, embeddingDim: Int, seed: UInt64, context: ComputeContext) throws {
        guard embeddingDim >= 1 else { throw ModelError("embedding_dim must be at least 1, got \(embeddingDim)") }
        var rng = SplitMix64.derived(seed: seed, stream: 0x4D4F_4445_4C)
        var layers: [any Layer] = []
        var width = inputShape.count
        switch spec.kind {
        case .linear:
            break
        case .mlp:
            for h in spec.hidden {
                guard h >= 1 else { throw ModelError("model.hidden sizes must be positive, got \(spec.hidden)") }
                // The ReLU in the layer's bias passes (the bits of Linear + ReLU, two passes fewer).
                layers.append(Linear(input: width, output: h, activation: .relu, rng: &rng, context: context))
                width = h
            }
        case .convnet:
            guard inputShape.isImage else {
                throw ModelError("model.kind convnet needs image inputs (fashion-mnist); this dataset has flat features of \(inputShape.count) values — use mlp or linear")
            }
            var (c, h, w) = (inputShape.channels, inputShape.height, inputShape.width)
            for out in spec.channels {
                guard out >= 1 else { throw ModelError("model.channels must be positive, got \(spec.channels)") }
                guard h >= 2 && w >= 2 else {
                    throw ModelError("model.channels \(spec.channels) pools a \(inputShape.height)×\(inputShape.width) image below 1×1; use fewer conv blocks")
                }
                // One fused layer per block: conv + bias + ReLU + pool in cache-sized tiles of samples.
                layers.append(ConvReLUPool(inChannels: c, outChannels: out, height: h, width: w, kernel: 3, padding: 1, rng: &rng, context: context))
                (c, h, w) = (out, h / 2, w / 2)
            }
            width = c * h * w
        }
        layers.append(Linear(input: width, output: embeddingDim, activation: .none, rng: &rng, context: context))
        if spec.normalize { layers.append(L2Normalize(width: embeddingDim)) }
        self.spec = spec
        self.inputShape = inputShape
        self.embeddingDim = embeddingDim
        self.layers = layers
    }

    /// The embeddings of the last `forward`, `B × embeddingDim`.
    public var output: Matrix { layers[layers.count - 1].output }

    /// Runs every layer on `input` (`B × inputShape.count`); the result is `output`.
    public func forward(_ input: Matrix) {
        layers[0].forward(input)
        for i in 1..<layers.count { layers[i].forward(layers[i - 1].output) }
    }

    /// Backpropagates dLoss/dEmbeddings through the network after `forward(input)`.
    ///
    /// Parameter gradients are overwritten (`accumulate: false`) or added to.
    /// The first layer's input gradient is never computed: nothing consumes it.
    public func backward(input: Matrix, outputGradient: Matrix, accumulate: Bool = false) {
        var i = layers.count - 1
        while i >= 0 {
            let layerInput = i == 0 ? input : layers[i - 1].output
            let upstream = i == layers.count - 1 ? outputGradient : layers[i + 1].inputGradient
            layers[i].backward(input: layerInput, outputGradient: upstream, needInputGradient: i > 0, accumulate: accumulate)
            i -= 1
        }
    }

    /// Calls `body(values, gradients)` for every parameter tensor, in a fixed order.
    public func visitParameters(_ body: (inout [Float], inout [Float]) -> Void) {
        for layer in layers { layer.visitParameters(body) }
    }

    /// The number of trainable values.
    public var parameterCount: Int {
        var n = 0
        visitParameters { p, _ in n += p.count }
        return n
    }

    /// The embeddings of every row of `features`, computed `batchSize` rows at a time.
    ///
    /// - Complexity: one forward pass over the rows; memory O(batchSize · widest layer).
    public func embed(_ features: Matrix, batchSize: Int = 1024) -> Matrix {
        precondition(features.cols == inputShape.count, "embed expects \(inputShape.count) features per row, got \(features.cols)")
        precondition(batchSize >= 1, "batchSize must be positive")
        var result = Matrix(rows: features.rows, cols: embeddingDim)
        var chunk = Matrix(rows: 0, cols: features.cols)
        var start = 0
        while start < features.rows {
            let n = min(batchSize, features.rows - start)
            chunk.reshape(rows: n, cols: features.cols)
            features.storage.withUnsafeBufferPointer { src in
                chunk.storage.withUnsafeMutableBufferPointer { dst in
                    dst.baseAddress!.update(from: src.baseAddress! + start * features.cols, count: n * features.cols)
                }
            }
            forward(chunk)
            output.storage.withUnsafeBufferPointer { src in
                result.storage.withUnsafeMutableBufferPointer { dst in
                    (dst.baseAddress! + start * embeddingDim).update(from: src.baseAddress!, count: n * embeddingDim)
                }
            }
            start += n
        }
        return result
    }
}
