/// How the learning rate changes during training.
public enum ScheduleKind: String, Codable, CaseIterable, Sendable {
    /// The base rate throughout.
    case constant
    /// `η = η₀ · γ^⌊epoch / step_size⌋` (epochs counted from 0).
    case step
    /// `η = η₀ · ½ (1 + cos(π t / T))` over the T optimizer steps of the run (t from 0).
    case cosine
}
