/// The optimizers (DESIGN §1).
public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
    /// SGD with (heavy-ball) momentum and L2 weight decay, as `torch.optim.SGD`.
    case sgd
    /// Adam with L2 weight decay added to the gradient, as `torch.optim.Adam`.
    case adam
    /// Adam with decoupled weight decay, as `torch.optim.AdamW`.
    case adamw
}
