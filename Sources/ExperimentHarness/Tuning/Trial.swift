import Foundation
import MetricLearning
import NumericCore
import Training

/// One trial of a variant's search: the drawn values and the configuration they give.
public struct Trial: Sendable {
    public var index: Int
    /// The drawn value of every setting of the variant's search, in the order of `tune.space`.
    public var values: [(Axis, AxisValue)]
    /// The sweep variant's configuration with `values` applied (at the spec's epochs).
    public var configuration: RunConfiguration
}

/// The search of one sweep variant: which settings it tunes, which it leaves out, and its trials.
public struct VariantSearch: Sendable {
    /// The sweep variant as the spec defines it (before tuning).
    public var variant: Variant
    public var space: [TuneParameter]
    /// Tuned settings that do not apply to this variant (a parameter its loss does not have).
    public var leftOut: [Axis]
    public var trials: [Trial]
}

/// One rung of a search: how many trials train, for how many epochs.
public struct Rung: Sendable, Equatable {
    public var trials: Int
    public var epochs: Int
}
