import NumericCore
import Testing
@testable import Training

// Central finite differences of the scalar objective `L = Σ r ⊙ y` (r fixed and
// random, so dL/dy = r), accumulated in Double, against each layer's backward.

private func objective(_ y: Matrix, _ r: Matrix) -> Double {
    var s = 0.0
    for i in y.storage.indices { s += Double(y.storage[i]) * Double(r.storage[i]) }
    return s
}

/// Checks dL/dx of `layer` at `x` (every `stride`-th input) and every `stride`-th parameter.
private func checkLayer(_ layer: any Layer, input x: Matrix, eps: Float = 1e-2, stride: Int = 1, checkInput: Bool = true) {
    layer.forward(x)
    let r = randomMatrix(rows: layer.output.rows, cols: layer.output.cols, seed: 99)
    layer.backward(input: x, outputGradient: r, needInputGradient: checkInput, accumulate: false)
    if checkInput {
        let dx = layer.inputGradient
        #expect(dx.rows == x.rows && dx.cols == x.cols)
        var xp = x
        for i in Swift.stride(from: 0, to: x.count, by: stride) {
            let v = x.storage[i]
            xp.storage[i] = v + eps; layer.forward(xp); let up = objective(layer.output, r)
            xp.storage[i] = v - eps; layer.forward(xp); let down = objective(layer.output, r)
            xp.storage[i] = v
            let numeric = (up - down) / (2 * Double(eps))
            #expect(isClose(Double(dx.storage[i]), numeric), "input \(i): analytic \(dx.storage[i]) numeric \(numeric)")
        }
    }
    checkParameters(visit: layer.visitParameters, eps: eps, stride: stride) { layer.forward(x); return objective(layer.output, r) }
}

/// Checks the gradients `visit` exposes (computed beforehand) against finite differences of `f`.
private func checkParameters(visit: ((inout [Float], inout [Float]) -> Void) -> Void, eps: Float, stride: Int, f: () -> Double) {
    var analytic: [[Float]] = []
    visit { _, g in analytic.append(g) }
    for t in analytic.indices {
        for i in Swift.stride(from: 0, to: analytic[t].count, by: stride) {
            func perturb(_ delta: Float) {
                var k = 0
                visit { p, _ in if k == t { p[i] += delta }; k += 1 }
            }
            perturb(eps); let up = f()
            perturb(-2 * eps); let down = f()
            perturb(eps)
            let numeric = (up - down) / (2 * Double(eps))
            #expect(isClose(Double(analytic[t][i]), numeric), "parameter \(t)[\(i)]: analytic \(analytic[t][i]) numeric \(numeric)")
        }
    }
}

@Test func linearGradientsMatchFiniteDifferences() {
    var rng = SplitMix64(seed: 1)
    let layer = Linear(input: 5, output: 4, activation: .none, rng: &rng)
    for j in layer.bias.indices { layer.bias[j] = Float(j) * 0.1 }
    checkLayer(layer, input: randomMatrix(rows: 3, cols: 5, seed: 2))
}

@Test func linearBackwardAccumulatesWhenAsked() {
    var rng = SplitMix64(seed: 1)
    let layer = Linear(input: 3, output: 2, activation: .none, rng: &rng)
    let x = randomMatrix(rows: 4, cols: 3, seed: 5), dy = randomMatrix(rows: 4, cols: 2, seed: 6)
    layer.forward(x)
    layer.backward(input: x, outputGradient: dy, needInputGradient: false, accumulate: false)
    let once = layer.weightGradient, onceBias = layer.biasGradient
    layer.backward(input: x, outputGradient: dy, needInputGradient: false, accumulate: true)
    for i in once.storage.indices { #expect(abs(layer.weightGradient.storage[i] - 2 * once.storage[i]) < 1e-5) }
    for j in onceBias.indices { #expect(abs(layer.biasGradient[j] - 2 * onceBias[j]) < 1e-5) }
}

@Test func reluGradientMatchesFiniteDifferences() {
    // Inputs kept away from the kink at 0, where the derivative is undefined.
    var x = randomMatrix(rows: 3, cols: 6, seed: 3)
    for i in x.storage.indices where abs(x.storage[i]) < 0.1 { x.storage[i] = 0.5 }
    checkLayer(ReLU(width: 6), input: x)
}

@Test func l2NormalizeGradientMatchesFiniteDifferences() {
    checkLayer(L2Normalize(width: 5), input: randomMatrix(rows: 4, cols: 5, seed: 4), eps: 1e-3)
}

@Test func l2NormalizeIsSafeAtZero() {
    let layer = L2Normalize(width: 3)
    let x = Matrix([[0, 0, 0], [3, 0, 4]])
    layer.forward(x)
    #expect(layer.output.row(0) == [0, 0, 0])
    #expect(layer.output.row(1) == [0.6, 0, 0.8])
    layer.backward(input: x, outputGradient: Matrix([[1, 1, 1], [1, 1, 1]]), needInputGradient: true, accumulate: false)
    #expect(layer.inputGradient.isFinite)
}

@Test func mlpGradientsMatchFiniteDifferences() throws {
    let model = try EmbeddingModel(spec: ModelSpec(kind: .mlp, hidden: [7, 6], normalize: true),
                                   inputShape: InputShape(flat: 5), embeddingDim: 4, seed: 3, context: .serial)
    let x = randomMatrix(rows: 3, cols: 5, seed: 12)
    model.forward(x)
    let r = randomMatrix(rows: 3, cols: 4, seed: 13)
    model.backward(input: x, outputGradient: r)
    checkParameters(visit: model.visitParameters, eps: 1e-2, stride: 1) { model.forward(x); return objective(model.output, r) }
}

@Test func convnetGradientsMatchFiniteDifferences() throws {
    let model = try EmbeddingModel(spec: ModelSpec(kind: .convnet, channels: [3, 4], normalize: true),
                                   inputShape: InputShape(channels: 1, height: 8, width: 8), embeddingDim: 3, seed: 4, context: .serial)
    let x = randomMatrix(rows: 2, cols: 64, seed: 14)
    model.forward(x)
    let r = randomMatrix(rows: 2, cols: 3, seed: 15)
    model.backward(input: x, outputGradient: r)
    checkParameters(visit: model.visitParameters, eps: 1e-3, stride: 3) { model.forward(x); return objective(model.output, r) }
}

/// The same through a Winograd block: its input gradient feeds the first block's parameter gradients.
/// Eight channels make pool windows with near ties, so perturbations that move a window's maximum
/// or cross a ReLU kink (the one-sided differences disagree) are skipped, as in the layer's own check.
@Test func winogradConvnetGradientsMatchFiniteDifferences() throws {
    let model = try EmbeddingModel(spec: ModelSpec(kind: .convnet, channels: [8, 4], normalize: true),
                                   inputShape: InputShape(channels: 1, height: 8, width: 8), embeddingDim: 3, seed: 4, context: .serial)
    #expect(model.layers.compactMap { ($0 as? ConvReLUPool)?.algorithm } == [.direct, .winograd])
    let x = randomMatrix(rows: 2, cols: 64, seed: 14)
    model.forward(x)
    let r = randomMatrix(rows: 2, cols: 3, seed: 15)
    model.backward(input: x, outputGradient: r)
    var analytic: [[Float]] = []
    model.visitParameters { _, g in analytic.append(g) }
    let eps: Float = 1e-3
    var checked = 0, total = 0
    for t in analytic.indices {
        for i in analytic[t].indices {
            func perturb(_ delta: Float) {
                var k = 0
                model.visitParameters { p, _ in if k == t { p[i] += delta }; k += 1 }
            }
            func f() -> Double { model.forward(x); return objective(model.output, r) }
            perturb(eps); let up = f()
            perturb(-2 * eps); let down = f()
            perturb(eps); let mid = f()
            total += 1
            if abs((up - mid) - (mid - down)) > 1e-6 { continue }
            checked += 1
            let numeric = (up - down) / (2 * Double(eps))
            #expect(isClose(Double(analytic[t][i]), numeric), "parameter \(t)[\(i)]: analytic \(analytic[t][i]) numeric \(numeric)")
        }
    }
    #expect(checked > total * 3 / 4, "\(checked) of \(total) parameters checked")
}
