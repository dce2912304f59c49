import Foundation
import Testing
@testable import MetricLearning

/// The PML fixtures again, this time through the registry and the one
/// ``BatchLoss`` contract the trainer and `metricbench loss` use: the loss
/// built by name from its spec keys, its class weights set through
/// `visitParameters` (rows in the order of the sorted distinct labels).
@Test func registeredLossesMatchPytorchMetricLearningThroughTheContract() throws {
    let fixtures = try ModernLossFixtures.load()
    var checked = 0
    for c in fixtures.cases where c.pairs == nil && c.triplets == nil && c.miner_params == nil {
        let registered = try #require(LossKind(rawValue: c.loss).flatMap(LossRegistry.loss), "\(c.loss) is registered")
        let classes = Array(Set(c.labels)).sorted()
        if let w = c.weights {
            // The registry sizes one row per training class: cases with rows for absent classes test the kernel alone.
            guard w.count == classes.count, c.class_index == c.labels.map({ Int32(classes.firstIndex(of: $0)!) }) else { continue }
        }
        var values: [String: ParameterValue] = [:]
        for (key, value) in c.params {
            switch value {
            case .flag(let b): values[key] = .bool(b)
            case .number(let x): values[key] = .double(x)
            }
        }
        var loss = try registered.makeStrictly(values, mining: .all, seed: 0)
        try loss.prepare(classes: classes, dimension: c.embeddings[0].count, seed: 0)
        if let w = c.weights { loss.visitParameters { v, _ in v = w.flatMap { $0 } } }
        var gradient = Matrix(rows: 0, cols: 0)
        let result = try loss.evaluate(embeddings: Matrix(c.embeddings), labels: c.labels, gradient: &gradient)
        let expected = c.expected
        let (valueTolerance, gradientTolerance) = c.reference == "f32" ? (1e-4, 1e-3) : (1e-5, 1e-4)
        #expect(relativeValueError(result.loss, expected.value) <= valueTolerance, "\(c.name): \(result.loss) vs PML \(expected.value)")
        #expect(relativeMatrixError(gradient, try #require(expected.grad)) <= gradientTolerance, "\(c.name): gradient")
        if let w = expected.weight_grad {
            var weightGradient = Matrix(rows: w.count, cols: w[0].count)
            loss.visitParameters { _, g in weightGradient.storage = g }
            #expect(relativeMatrixError(weightGradient, w) <= gradientTolerance, "\(c.name): weight gradient")
        }
        checked += 1
    }
    #expect(checked >= 20, "only \(checked) fixture cases went through the registry")
}
