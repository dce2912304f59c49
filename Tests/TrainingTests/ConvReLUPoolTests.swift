import NumericCore
import Testing
@testable import Training

// The fused convnet block against a naive reference (the definition as loops in
// Double: convolution, bias, ReLU, 2×2 max pooling, and the chain rule through
// each), against finite differences, and bitwise across worker counts.

/// Forward and backward of conv (stride 1, zero padding) → ReLU → 2×2 max pool by their definitions.
private struct NaiveConvBlock {
    let c: Int, o: Int, h: Int, w: Int, k: Int, p: Int
    var oh: Int { h + 2 * p - k + 1 }
    var ow: Int { w + 2 * p - k + 1 }

    func preActivation(_ x: [Float], _ weight: [Float], _ bias: [Float]) -> [Double] {
        var a = [Double](repeating: 0, count: o * oh * ow)
        for q in 0..<o {
            for i in 0..<oh {
                for j in 0..<ow {
                    var s = Double(bias[q])
                    for ch in 0..<c {
                        for u in 0..<k {
                            for v in 0..<k {
                                let y = i + u - p, z = j + v - p
                                if y < 0 || y >= h || z < 0 || z >= w { continue }
                                s += Double(weight[((q * c + ch) * k + u) * k + v]) * Double(x[(ch * h + y) * w + z])
                            }
                        }
                    }
                    a[(q * oh + i) * ow + j] = s
                }
            }
        }
        return a
    }

    /// The pooled output and, per output, the flat index into `a` of its window's maximum.
    func pool(_ a: [Double]) -> (y: [Double], at: [Int]) {
        var y: [Double] = [], at: [Int] = []
        for q in 0..<o {
            for i in 0..<(oh / 2) {
                for j in 0..<(ow / 2) {
                    var best = (q * oh + 2 * i) * ow + 2 * j
                    for (u, v) in [(0, 1), (1, 0), (1, 1)] {
                        let t = (q * oh + 2 * i + u) * ow + 2 * j + v
                        if a[t] > a[best] { best = t }
                    }
                    y.append(max(a[best], 0))
                    at.append(best)
                }
            }
        }
        return (y, at)
    }

    /// dW, db and dx of one sample for upstream gradient `g` of the pooled output.
    func backward(_ x: [Float], _ weight: [Float], _ bias: [Float], _ g: [Float]) -> (dw: [Double], db: [Double], dx: [Double]) {
        let (y, at) = pool(preActivation(x, weight, bias))
        var da = [Double](repeating: 0, count: o * oh * ow)
        for t in y.indices where y[t] > 0 { da[at[t]] += Double(g[t]) }
        var dw = [Double](repeating: 0, count: o * c * k * k), db = [Double](repeating: 0, count: o)
        var dx = [Double](repeating: 0, count: c * h * w)
        for q in 0..<o {
            for i in 0..<oh {
                for j in 0..<ow {
                    let d = da[(q * oh + i) * ow + j]
                    db[q] += d
                    for ch in 0..<c {
                        for u in 0..<k {
                            for v in 0..<k {
                                let yy = i + u - p, z = j + v - p
                                if yy < 0 || yy >= h || z < 0 || z >= w { continue }
                                dw[((q * c + ch) * k + u) * k + v] += d * Double(x[(ch * h + yy) * w + z])
                                dx[(ch * h + yy) * w + z] += d * Double(weight[((q * c + ch) * k + u) * k + v])
                            }
                        }
                    }
                }
            }
        }
        return (dw, db, dx)
    }
}

private func expectClose(_ actual: [Float], _ expected: [Double], _ what: String) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)")
    for i in expected.indices where abs(Double(actual[i]) - expected[i]) > 1e-4 * max(1, abs(expected[i])) {
        Issue.record("\(what)[\(i)]: \(actual[i]) vs reference \(expected[i])")
        return
    }
}

/// Runs the fused layer on `batch` samples (odd sizes so that the pool drops a row and a column;
/// tiles of one sample so that several tiles and groups are exercised) against the reference.
private func checkAgainstReference(c: Int, o: Int, h: Int, w: Int, k: Int, p: Int, batch: Int, workers: Int,
                                   algorithm: ConvAlgorithm = .im2col, tileFloats: Int = 1, needInputGradient: Bool = true) {
    var rng = SplitMix64(seed: 21)
    let layer = ConvReLUPool(inChannels: c, outChannels: o, height: h, width: w, kernel: k, padding: p, rng: &rng,
                             context: ComputeContext(workers: workers), tileFloats: tileFloats, algorithm: algorithm)
    #expect(layer.algorithm == algorithm)
    if tileFloats == 1 { #expect(layer.samplesPerTile == 1) }
    for j in layer.bias.indices { layer.bias[j] = 0.05 * Float(j) - 0.05 }
    let naive = NaiveConvBlock(c: c, o: o, h: h, w: w, k: k, p: p)
    let x = randomMatrix(rows: batch, cols: c * h * w, seed: 22)
    let g = randomMatrix(rows: batch, cols: layer.outputWidth, seed: 23)
    layer.forward(x)
    layer.backward(input: x, outputGradient: g, needInputGradient: needInputGradient, accumulate: false)
    var dw = [Double](repeating: 0, count: layer.weight.count), db = [Double](repeating: 0, count: o)
    for s in 0..<batch {
        let (y, _) = naive.pool(naive.preActivation(x.row(s), layer.weight.storage, layer.bias))
        expectClose(layer.output.row(s), y, "output of sample \(s)")
        let r = naive.backward(x.row(s), layer.weight.storage, layer.bias, g.row(s))
        if needInputGradient { expectClose(layer.inputGradient.row(s), r.dx, "input gradient of sample \(s)") }
        for i in dw.indices { dw[i] += r.dw[i] }
        for i in db.indices { db[i] += r.db[i] }
    }
    expectClose(layer.weightGradient.storage, dw, "weight gradient")
    expectClose(layer.biasGradient, db, "bias gradient")
}

@Test func convReLUPoolMatchesTheNaiveDefinition() {
    checkAgainstReference(c: 2, o: 3, h: 7, w: 6, k: 3, p: 1, batch: 5, workers: 1)
    checkAgainstReference(c: 1, o: 4, h: 6, w: 9, k: 3, p: 1, batch: 3, workers: 3)
    checkAgainstReference(c: 3, o: 2, h: 6, w: 6, k: 2, p: 0, batch: 4, workers: 2)
    // Seven windows a row: a block of four, then one overlapping it by a window.
    checkAgainstReference(c: 2, o: 3, h: 5, w: 14, k: 3, p: 1, batch: 3, workers: 2)
}

/// The direct kernels against the same Double reference, as a first block (their own backward)
/// and as a later one (im2col's backward): rows of 3, 7 and 16 windows, odd sizes, 1–3 workers.
@Test func directConvReLUPoolMatchesTheNaiveDefinition() {
    for needInputGradient in [false, true] {
        checkAgainstReference(c: 1, o: 4, h: 6, w: 7, k: 3, p: 1, batch: 5, workers: 1, algorithm: .direct, needInputGradient: needInputGradient)
        checkAgainstReference(c: 2, o: 3, h: 5, w: 14, k: 3, p: 1, batch: 3, workers: 2, algorithm: .direct, needInputGradient: needInputGradient)
        checkAgainstReference(c: 1, o: 8, h: 32, w: 32, k: 3, p: 1, batch: 4, workers: 3, algorithm: .direct, needInputGradient: needInputGradient)
    }
}

/// Winograd F(2×2, 3×3) against the same Double reference: rows of 3 tiles (one partial block),
/// 7 (a block, then one overlapping it), 4 and 8 (whole blocks), odd sizes (a trailing row and
/// column that the pool drops), tiles of one sample and of several, 1–3 workers. Winograd's
/// transforms round differently from im2col but stay within 1e-4 of outputs of order one.
@Test func winogradConvReLUPoolMatchesTheNaiveDefinition() {
    checkAgainstReference(c: 2, o: 3, h: 7, w: 6, k: 3, p: 1, batch: 5, workers: 1, algorithm: .winograd)
    checkAgainstReference(c: 3, o: 4, h: 5, w: 14, k: 3, p: 1, batch: 3, workers: 2, algorithm: .winograd)
    checkAgainstReference(c: 4, o: 5, h: 9, w: 8, k: 3, p: 1, batch: 4, workers: 3, algorithm: .winograd)
    checkAgainstReference(c: 5, o: 6, h: 8, w: 17, k: 3, p: 1, batch: 7, workers: 2, algorithm: .winograd, tileFloats: 16 * 11 * 32 * 2)
    checkAgainstReference(c: 16, o: 8, h: 14, w: 14, k: 3, p: 1, batch: 3, workers: 2, algorithm: .winograd, tileFloats: 1 << 20)
    // Partial blocks (rows of 2 and 3 tiles) in tiles of several samples.
    checkAgainstReference(c: 8, o: 4, h: 4, w: 4, k: 3, p: 1, batch: 3, workers: 1, algorithm: .winograd, tileFloats: 1 << 20)
    checkAgainstReference(c: 3, o: 2, h: 6, w: 7, k: 3, p: 1, batch: 5, workers: 2, algorithm: .winograd, tileFloats: 16 * 5 * 9 * 2)
}

@Test func convReLUPoolPrefersWinogradWhereItPays() {
    #expect(ConvAlgorithm.preferred(inChannels: 32, kernel: 3, padding: 1) == .winograd)
    #expect(ConvAlgorithm.preferred(inChannels: 1, kernel: 3, padding: 1) == .direct)
    #expect(ConvAlgorithm.preferred(inChannels: 7, kernel: 3, padding: 1) == .direct)
    #expect(ConvAlgorithm.preferred(inChannels: 32, kernel: 2, padding: 0) == .im2col)
    #expect(ConvAlgorithm.preferred(inChannels: 32, kernel: 3, padding: 0) == .im2col)
}

@Test(arguments: [ConvAlgorithm.im2col, .winograd, .direct])
func convReLUPoolGradientsMatchFiniteDifferences(algorithm: ConvAlgorithm) {
    var rng = SplitMix64(seed: 24)
    let layer = ConvReLUPool(inChannels: 2, outChannels: 3, height: 6, width: 5, rng: &rng, tileFloats: 1, algorithm: algorithm)
    for j in layer.bias.indices { layer.bias[j] = 0.1 * Float(j) }
    let x = randomMatrix(rows: 3, cols: 2 * 6 * 5, seed: 25)
    layer.forward(x)
    let r = randomMatrix(rows: 3, cols: layer.outputWidth, seed: 26)
    layer.backward(input: x, outputGradient: r, needInputGradient: true, accumulate: false)
    func objective() -> Double {
        var s = 0.0
        for i in layer.output.storage.indices { s += Double(layer.output.storage[i]) * Double(r.storage[i]) }
        return s
    }
    let eps: Float = 1e-3
    // Input gradient: every value; skip the rare perturbation that moves a window's maximum or crosses the ReLU kink.
    let dx = layer.inputGradient
    var xp = x, checked = 0
    for i in 0..<x.count {
        let v = x.storage[i]
        xp.storage[i] = v + eps; layer.forward(xp); let up = objective()
        xp.storage[i] = v - eps; layer.forward(xp); let down = objective()
        xp.storage[i] = v; layer.forward(xp); let mid = objective()
        let numeric = (up - down) / (2 * Double(eps))
        if abs((up - mid) - (mid - down)) > 1e-4 { continue }  // not differentiable within ±eps
        checked += 1
        #expect(isClose(Double(dx.storage[i]), numeric), "input \(i): analytic \(dx.storage[i]) numeric \(numeric)")
    }
    #expect(checked > x.count / 2)
    // Parameter gradients as a first block computes them (no input gradient: the direct kernels'
    // own backward), skipping the same way (a weight moves every pre-activation of its channel).
    layer.forward(x)
    layer.backward(input: x, outputGradient: r, needInputGradient: false, accumulate: false)
    let analytic = [layer.weightGradient.storage, layer.biasGradient]
    var parametersChecked = 0
    for t in 0..<2 {
        for i in analytic[t].indices {
            func perturb(_ d: Float) { if t == 0 { layer.weight.storage[i] += d } else { layer.bias[i] += d } }
            perturb(eps); layer.forward(x); let up = objective()
            perturb(-2 * eps); layer.forward(x); let down = objective()
            perturb(eps); layer.forward(x); let mid = objective()
            let numeric = (up - down) / (2 * Double(eps))
            if abs((up - mid) - (mid - down)) > 1e-4 { continue }
            parametersChecked += 1
            #expect(isClose(Double(analytic[t][i]), numeric), "parameter \(t)[\(i)]: analytic \(analytic[t][i]) numeric \(numeric)")
        }
    }
    #expect(parametersChecked > (analytic[0].count + analytic[1].count) / 2)
}

@Test(arguments: [ConvAlgorithm.im2col, .winograd, .direct])
func convReLUPoolBackwardAccumulatesWhenAsked(algorithm: ConvAlgorithm) {
    var rng = SplitMix64(seed: 27)
    let layer = ConvReLUPool(inChannels: 1, outChannels: 2, height: 4, width: 4, rng: &rng, tileFloats: 1, algorithm: algorithm)
    let x = randomMatrix(rows: 3, cols: 16, seed: 28), g = randomMatrix(rows: 3, cols: layer.outputWidth, seed: 29)
    layer.forward(x)
    layer.backward(input: x, outputGradient: g, needInputGradient: false, accumulate: false)
    let once = layer.weightGradient.storage, onceBias = layer.biasGradient
    #expect(once.contains { $0 != 0 })
    layer.backward(input: x, outputGradient: g, needInputGradient: false, accumulate: true)
    for i in once.indices { #expect(abs(layer.weightGradient.storage[i] - 2 * once[i]) <= 1e-5 * max(1, abs(once[i]))) }
    for j in onceBias.indices { #expect(abs(layer.biasGradient[j] - 2 * onceBias[j]) <= 1e-5 * max(1, abs(onceBias[j]))) }
}

/// A convnet step (forward, backward, every gradient) gives the same bits on 1, 2 and 3 workers.
/// The 32-64 network on 28×28 inputs at batch 24: the first block is direct (samples shared
/// dynamically, their gradient shares summed in order), the second (Winograd) 8 tiles of 3 samples
/// in 8 groups.
@Test func convnetStepIsBitwiseTheSameForEveryWorkerCount() throws {
    let x = randomMatrix(rows: 24, cols: 28 * 28, seed: 30), g = randomMatrix(rows: 24, cols: 16, seed: 31)
    var reference: (output: [Float], gradients: [[Float]])?
    for workers in [1, 2, 3] {
        let model = try EmbeddingModel(spec: ModelSpec(kind: .convnet, channels: [32, 64], normalize: true),
                                       inputShape: InputShape(channels: 1, height: 28, width: 28), embeddingDim: 16, seed: 5,
                                       context: ComputeContext(workers: workers))
        let blocks = model.layers.compactMap { $0 as? ConvReLUPool }
        #expect(blocks.map(\.algorithm) == [.direct, .winograd])
        #expect(blocks.map { $0.tiling(batch: 24).tiles } == [6, 8])
        #expect(blocks.map { $0.tiling(batch: 24).groups } == [6, 8])
        model.forward(x)
        model.backward(input: x, outputGradient: g)
        var gradients: [[Float]] = []
        model.visitParameters { _, gradient in gradients.append(gradient) }
        let run = (model.output.storage, gradients)
        if let reference {
            #expect(run.0 == reference.output, "embeddings differ with \(workers) workers")
            #expect(run.1 == reference.gradients, "gradients differ with \(workers) workers")
        } else {
            #expect(gradients.allSatisfy { $0.contains { $0 != 0 } })
            reference = run
        }
    }
}

/// The direct kernels' AVX2 and AVX-512 versions give the bits of their portable loops, forward and
/// backward: windows a row of 16 (one AVX-512 vector, two AVX2 ones), 14 (a partial last block), 3;
/// odd sizes (the pool drops a row and a column); 1–7 input channels; 1–3 workers.
@Test func directConvKernelsAreBitwiseTheirPortableLoopsOnEveryInstructionSet() {
    let shapes: [(c: Int, o: Int, h: Int, w: Int, batch: Int, workers: Int)] = [
        (1, 32, 32, 32, 5, 2), (1, 32, 28, 28, 4, 1), (1, 5, 7, 7, 3, 3), (3, 4, 9, 11, 3, 2), (7, 6, 6, 34, 2, 2),
    ]
    for (c, o, h, w, batch, workers) in shapes {
        var rng = SplitMix64(seed: 40)
        let layer = ConvReLUPool(inChannels: c, outChannels: o, height: h, width: w, rng: &rng,
                                 context: ComputeContext(workers: workers))
        #expect(layer.algorithm == .direct)
        for j in layer.bias.indices { layer.bias[j] = 0.03 * Float(j) - 0.05 }
        let x = randomMatrix(rows: batch, cols: c * h * w, seed: 41)
        let g = randomMatrix(rows: batch, cols: layer.outputWidth, seed: 42)
        func run(_ isa: Int32) -> [[Float]] {
            layer.kernelISA = isa
            layer.forward(x)
            layer.backward(input: x, outputGradient: g, needInputGradient: false, accumulate: false)
            return [layer.output.storage, layer.weightGradient.storage, layer.biasGradient]
        }
        let portable = run(0)
        #expect(portable[0].contains { $0 > 0 } && portable[0].contains { $0 == 0 })
        for isa in WideISA.available where isa > 0 {
            let wide = run(isa)
            for (part, name) in ["output", "weight gradient", "bias gradient"].enumerated() {
                let differing = zip(wide[part], portable[part]).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                #expect(differing == 0, "\(name), isa \(isa): \(differing) of \(portable[part].count) values differ on \(c)×\(h)×\(w) → \(o)")
            }
        }
    }
}

/// The Winograd transforms' AVX2 and AVX-512 kernels give the bits of their portable loops:
/// output, choices (through the gradients), weight, bias and input gradients. Rows of 8 tiles
/// (two a vector with AVX-512), 7 (28×28's second block) and odd sizes (a trailing row and column
/// the pool drops), rows of 1–3 tiles (partial bias blocks), of 9 and 17 tiles (one row a vector,
/// a masked last block), an odd number of tile rows; tiles of one sample and of several, 1–3 workers.
@Test func winogradKernelsAreBitwiseTheirPortableLoopsOnEveryInstructionSet() {
    let shapes: [(c: Int, o: Int, h: Int, w: Int, batch: Int, workers: Int, tileFloats: Int?)] = [
        (32, 64, 16, 16, 5, 2, nil), (32, 64, 14, 14, 4, 3, nil), (8, 16, 15, 17, 3, 1, nil), (3, 5, 7, 6, 4, 2, 1),
        (4, 6, 5, 3, 5, 3, 1), (5, 7, 9, 35, 3, 2, nil), (6, 4, 6, 19, 4, 1, 16 * 11 * 27 * 2), (9, 3, 2, 5, 6, 2, 1 << 20),
    ]
    for (c, o, h, w, batch, workers, tileFloats) in shapes {
        var rng = SplitMix64(seed: 50)
        let layer = ConvReLUPool(inChannels: c, outChannels: o, height: h, width: w, rng: &rng,
                                 context: ComputeContext(workers: workers), tileFloats: tileFloats, algorithm: .winograd)
        for j in layer.bias.indices { layer.bias[j] = 0.03 * Float(j) - 0.05 }
        let x = randomMatrix(rows: batch, cols: c * h * w, seed: 51)
        let g = randomMatrix(rows: batch, cols: layer.outputWidth, seed: 52)
        func run(_ isa: Int32) -> [[Float]] {
            layer.kernelISA = isa
            layer.forward(x)
            layer.backward(input: x, outputGradient: g, needInputGradient: true, accumulate: false)
            return [layer.output.storage, layer.weightGradient.storage, layer.biasGradient, layer.inputGradient.storage]
        }
        let portable = run(0)
        #expect(portable[0].contains { $0 > 0 } && portable[0].contains { $0 == 0 })
        for isa in WideISA.available where isa > 0 {
            let wide = run(isa)
            for (part, name) in ["output", "weight gradient", "bias gradient", "input gradient"].enumerated() {
                let differing = zip(wide[part], portable[part]).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                #expect(differing == 0, "\(name), isa \(isa): \(differing) of \(portable[part].count) values differ on \(c)×\(h)×\(w) → \(o)")
            }
        }
    }
}
