import Training

/// The model of a training benchmark row, the last field of
/// `--train LOSS/MINING/BATCH/EMBEDDING[/MODEL]`.
public enum TrainModel: String, CaseIterable, Sendable {
    /// MLP 784-512-E (the default when the field is absent).
    case mlp
    /// Convnet 32-64 (3×3 conv padding 1 → ReLU → 2×2 max pool, twice; linear to E) on 28×28 Fashion-MNIST.
    case convnet
    /// The same convnet on Fashion-MNIST zero-padded by 2 pixels to 32×32, the glyph dataset's size.
    case convnet32

    /// The network of the row (L2-normalised embeddings, like every row).
    public var spec: ModelSpec {
        switch self {
        case .mlp: ModelSpec(kind: .mlp, hidden: [512])
        case .convnet, .convnet32: ModelSpec(kind: .convnet, channels: [32, 64])
        }
    }
}
