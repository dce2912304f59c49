import MetricLearning

/// One scalar value of a sweep axis, as written in the spec.
public typealias AxisValue = ParameterValue
