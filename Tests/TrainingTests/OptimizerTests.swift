import NumericCore
import Testing
@testable import Training

/// A model with parameters w = (1, −2) and b = 0.5, whose gradients the test sets.
private func tinyModel() throws -> EmbeddingModel {
    let model = try EmbeddingModel(spec: ModelSpec(kind: .linear, normalize: false), inputShape: InputShape(flat: 2), embeddingDim: 1, seed: 0, context: .serial)
    let linear = model.layers[0] as! Linear
    linear.weight = Matrix([[1, -2]])
    linear.bias = [0.5]
    return model
}

private func setGradients(_ model: EmbeddingModel, _ w: [Float], _ b: Float) {
    let linear = model.layers[0] as! Linear
    linear.weightGradient = Matrix([w])
    linear.biasGradient = [b]
}

private func parameters(_ model: EmbeddingModel) -> [Float] {
    let linear = model.layers[0] as! Linear
    return linear.weight.storage + linear.bias
}

@Test func sgdMomentumStepsMatchHandComputedValues() throws {
    let model = try tinyModel()
    var opt = Optimizer(kind: .sgd, momentum: 0.9, weightDecay: 0.1)
    // step 1: g' = g + 0.1 p = (0.6, −0.2, 0.25); v = g'; p −= 0.5 v
    setGradients(model, [0.5, 0], 0.2)
    opt.update(model, learningRate: 0.5)
    let p1: [Float] = [1 - 0.3, -2 + 0.1, 0.5 - 0.125]
    for (a, e) in zip(parameters(model), p1) { #expect(abs(a - e) < 1e-6) }
    // step 2: g' = (0 + 0.07, 0 − 0.19, 0 + 0.0375); v = 0.9 v + g'
    setGradients(model, [0, 0], 0)
    opt.update(model, learningRate: 0.5)
    let v2: [Float] = [0.9 * 0.6 + 0.07, 0.9 * -0.2 - 0.19, 0.9 * 0.25 + 0.0375]
    for i in 0..<3 { #expect(abs(parameters(model)[i] - (p1[i] - 0.5 * v2[i])) < 1e-6) }
}

@Test func adamStepsMatchHandComputedValues() throws {
    let model = try tinyModel()
    var opt = Optimizer(kind: .adam)
    // Step 1: m̂ = g, ŝ = g², so each parameter moves by lr · g / (|g| + ε) ≈ lr · sign(g).
    setGradients(model, [0.5, -4], 0)
    opt.update(model, learningRate: 0.01)
    #expect(abs(parameters(model)[0] - 0.99) < 1e-6)
    #expect(abs(parameters(model)[1] - (-1.99)) < 1e-6)
    #expect(parameters(model)[2] == 0.5)
    // Step 2 on w₀ with g = 0.25: m = 0.9·0.05 + 0.1·0.25 = 0.07, s = 0.999·0.00025 + 0.001·0.0625,
    // p −= 0.01 · (m / (1 − 0.9²)) / (√(s / (1 − 0.999²)) + 1e-8).
    setGradients(model, [0.25, 0], 0)
    opt.update(model, learningRate: 0.01)
    let m = 0.07, s = 0.999 * 0.00025 + 0.001 * 0.0625
    let expected = 0.99 - 0.01 * (m / (1 - 0.81)) / ((s / (1 - 0.998001)).squareRoot() + 1e-8)
    #expect(abs(Double(parameters(model)[0]) - expected) < 1e-6)
}

@Test func adamwDecaysWeightsDecoupledFromTheGradient() throws {
    let model = try tinyModel()
    var opt = Optimizer(kind: .adamw, weightDecay: 0.1)
    setGradients(model, [0, 0], 0)
    opt.update(model, learningRate: 0.01)
    // Zero gradient: no Adam move, only p ← p (1 − lr λ).
    for (a, e) in zip(parameters(model), [Float(1), -2, 0.5].map { $0 * 0.999 }) { #expect(abs(a - e) < 1e-7) }
}

@Test func schedulesFollowTheirFormulas() {
    let step = LearningRateSchedule(kind: .step, baseRate: 1, stepSize: 2, gamma: 0.5)
    #expect([0, 1, 2, 3, 4].map { step.rate(epoch: $0, step: 0) } == [1, 1, 0.5, 0.5, 0.25])
    let cosine = LearningRateSchedule(kind: .cosine, baseRate: 2, totalSteps: 10)
    #expect(cosine.rate(epoch: 0, step: 0) == 2)
    #expect(abs(cosine.rate(epoch: 0, step: 5) - 1) < 1e-12)
    #expect(abs(cosine.rate(epoch: 0, step: 10)) < 1e-12)
}
