@_exported import MetricLearning
