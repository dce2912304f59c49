import Foundation
import Training

/// An estimate of the memory one run needs, from its configuration (the largest buffers, not every one).
///
/// Sizes come from the spec, so a typo (`hidden: [1000000000]`) would
/// otherwise surface as a failed allocation that kills the whole sweep. The
/// estimate is computed in `Double`, which cannot overflow where an `Int`
/// product of widths can; it counts, in 4-byte floats:
///
///     data         samples × input values
///     parameters   4 × weights (value, gradient, and two Adam moments)
///     activations  2 × batch × Σ layer widths (forward cache and gradient)
///     distances    4 × batch²  (distance matrix, its gradient, masks, miner workspace)
///
/// A convnet's layers are counted at the full input resolution, an upper bound.
public struct MemoryEstimate: Sendable, Equatable {
    public var dataBytes: Double
    public var parameterBytes: Double
    public var activationBytes: Double
    public var distanceBytes: Double

    public var totalBytes: Double { dataBytes + parameterBytes + activationBytes + distanceBytes }

    /// What dominates the parameters, for messages: the spec keys of the model's sizes.
    private var modelKeys: String

    public init(_ c: RunConfiguration, input: InputShape, samples: Int) {
        self.init(model: c.model, embeddingDim: c.embeddingDim, batchSize: c.train.batchSize, input: input, samples: samples)
    }

    public init(model: ModelSpec, embeddingDim: Int, batchSize: Int, input: InputShape, samples: Int) {
        let inputValues = Double(input.channels) * Double(input.height) * Double(input.width)
        let pixels = Double(input.height) * Double(input.width)
        let dim = Double(embeddingDim)
        var weights = 0.0
        var widths = 0.0
        switch model.kind {
        case .linear:
            weights = inputValues * dim + dim
            widths = inputValues + dim
        case .mlp:
            var previous = inputValues
            for h in model.hidden.map(Double.init) + [dim] {
                weights += previous * h + h
                widths += h
                previous = h
            }
            widths += inputValues
        case .convnet:
            var channels = Double(input.channels)
            for out in model.channels.map(Double.init) {
                weights += channels * out * 9 + out
                widths += out * pixels
                channels = out
            }
            weights += channels * pixels * dim + dim
            widths += inputValues + dim
        }
        let batch = Double(batchSize)
        dataBytes = 4 * Double(samples) * inputValues
        parameterBytes = 4 * 4 * weights
        activationBytes = 4 * 2 * batch * widths
        distanceBytes = 4 * 4 * batch * batch
        switch model.kind {
        case .linear: modelKeys = "embedding_dim"
        case .mlp: modelKeys = "hidden/embedding_dim"
        case .convnet: modelKeys = "channels/embedding_dim"
        }
    }

    /// The input shape and sample count a dataset spec tells before any file is read
    /// (an npy dataset's are known only once loaded: one value, no samples; a glyph set's count is a lower bound).
    public static func declaredShape(of d: DatasetSpec) -> (input: InputShape, samples: Int) { d.declaredShape }

    /// The spec key most responsible for the estimate, for messages.
    public var largestPart: String {
        let parts = [
            (dataBytes, "dataset"), (parameterBytes, modelKeys), (activationBytes, "batch_size"), (distanceBytes, "batch_size"),
        ]
        return parts.max { $0.0 < $1.0 }!.1
    }

    /// Throws when the estimate exceeds `available` bytes (the machine's memory): the run
    /// then fails with this reason instead of the whole sweep dying in an allocation.
    public func check(available: Double = Double(ProcessInfo.processInfo.physicalMemory)) throws {
        guard totalBytes > available else { return }
        throw MemoryEstimateError(
            message: "needs an estimated \(Self.describe(totalBytes)) of memory, more than this machine's \(Self.describe(available)) (mostly from \(largestPart)); use smaller sizes")
    }

    /// "12.5 GB".
    public static func describe(_ bytes: Double) -> String {
        guard bytes.isFinite, bytes < 1e30 else { return "more than 10³⁰ bytes" }
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        var v = bytes, i = 0
        while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
        return i == 0 ? "\(Int(v)) bytes" : String(format: "%.1f", v) + " " + units[i]
    }
}
