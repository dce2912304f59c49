/// The embedding network architectures (DESIGN §1).
public enum ModelKind: String, Codable, CaseIterable, Sendable {
    /// One linear map from the input to the embedding.
    case linear
    /// `hidden` fully connected ReLU layers, then the embedding layer.
    case mlp
    /// For each entry of `channels`: 3×3 conv (padding 1) → ReLU → 2×2 max pool;
    /// then the embedding layer. Needs image inputs.
    case convnet
}
