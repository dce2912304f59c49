import MetricLearning
import Training

extension RunConfiguration {
    /// This configuration with tuned setting `axis` at `value`; loss parameters are checked by the loss.
    func setting(_ axis: Axis, _ value: AxisValue) throws -> RunConfiguration {
        var c = self
        switch (axis, value) {
        case (.learningRate, .double(let v)): c.train.learningRate = v
        case (.weightDecay, .double(let v)): c.train.weightDecay = v
        case (.normalize, .bool(let v)): c.model.normalize = v
        case (.embeddingDim, .int(let v)): c.embeddingDim = v
        case (.optimizer, .string(let v)): c.train.optimizer = OptimizerKind(rawValue: v) ?? c.train.optimizer
        case (.schedule, .string(let v)): c.train.schedule = ScheduleKind(rawValue: v) ?? c.train.schedule
        case (.parameter(let key), _):
            guard let registered = LossRegistry.loss(loss.loss) else { return c }
            var set = loss.parameters
            set[key] = value
            c.loss.parameters = try registered.resolvedParameters(set)
        default:
            preconditionFailure("the parser gives \(axis) only values of its kind, not \(value)")
        }
        return c
    }

    /// The value of tuned setting `axis` in this configuration (a loss parameter at its default included).
    func tunedValue(_ axis: Axis) -> AxisValue {
        if case .parameter(let key) = axis, let v = loss.parameters[key] { return v }
        return value(of: axis)
    }
}
