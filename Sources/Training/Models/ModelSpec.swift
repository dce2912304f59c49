/// Everything that defines an embedding network except its output size
/// (the `embedding_dim` axis) and the input shape (the dataset's).
///
/// Codable keys: `kind`, `hidden`, `channels`, `normalize` (all optional).
public struct ModelSpec: Codable, Hashable, Sendable {
    public var kind: ModelKind
    /// Hidden widths of `mlp` (default `[512]`).
    public var hidden: [Int]
    /// Convolution channels of `convnet` (default `[32, 64]`).
    public var channels: [Int]
    /// L2-normalise the embeddings (default true, as FaceNet and pytorch-metric-learning).
    public var normalize: Bool

    public init(kind: ModelKind = .mlp, hidden: [Int] = [512], channels: [Int] = [32, 64], normalize: Bool = true) {
        self.kind = kind
        self.hidden = hidden
        self.channels = channels
        self.normalize = normalize
    }

    enum CodingKeys: String, CodingKey { case kind, hidden, channels, normalize }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ModelSpec()
        kind = try c.decodeIfPresent(ModelKind.self, forKey: .kind) ?? d.kind
        hidden = try c.decodeIfPresent([Int].self, forKey: .hidden) ?? d.hidden
        channels = try c.decodeIfPresent([Int].self, forKey: .channels) ?? d.channels
        normalize = try c.decodeIfPresent(Bool.self, forKey: .normalize) ?? d.normalize
    }
}
