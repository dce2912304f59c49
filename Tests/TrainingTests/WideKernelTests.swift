import CKernels
import NumericCore
import Testing
@testable import Training

/// The AVX2 / AVX-512 kernels of `CKernels` must give the bits of the portable
/// Swift path (the results of committed runs depend on them), including −0,
/// NaN, infinities and the scalar tails. Each instruction set this CPU has is
/// run against the Swift path (isa 0); on other CPUs only the sets they have.
/// A NaN's sign and payload are not compared: when both operands of an
/// addition are NaN, x86 returns the first, and compilers commute additions
/// freely (a run that meets a NaN stops as diverged anyway).

/// Sizes with every tail length, a 16-lane body plus an 8-lane block, and a large one.
private let sizes = [0, 1, 3, 7, 8, 9, 15, 16, 17, 23, 24, 31, 33, 64, 100, 517, 4096 + 13]

/// Values of every sign and scale, with the special ones sprinkled in.
private func values(_ n: Int, seed: UInt64, positive: Bool = false) -> [Float] {
    var rng = SplitMix64(seed: seed)
    let special: [Float] = [0, -0.0, .nan, .infinity, -.infinity, 1e-30, -1e-30, .leastNonzeroMagnitude]
    return (0..<n).map { i in
        if !positive && i % 11 == 5 { return special[(i / 11) % special.count] }
        let v = Float(rng.nextUniform() * 4 - 2) * Float(1 << (i % 7))
        return positive ? abs(v) : v
    }
}

private func bits(_ a: [Float]) -> [UInt32] { a.map { $0.isNaN ? Float.nan.bitPattern : $0.bitPattern } }

private var wideSets: [Int32] { Int32(mb_isa_detected()) >= 1 ? Array(1...Int32(mb_isa_detected())) : [] }

@Test func wideSetsAreDetectedOnlyOnX86() {
    #if arch(x86_64)
    #expect((0...2).contains(mb_isa_detected()))
    #else
    #expect(mb_isa_detected() == 0)
    #endif
    #expect(_Vectorized.isa <= Int32(mb_isa_detected()))
}

@Test(arguments: [Float(0), 0.01])
func adamKernelsGiveThePortableBits(decay: Float) {
    for n in sizes {
        for isa in wideSets {
            for kind in [OptimizerKind.adam, .adamw] {
                let g = values(n, seed: 1), p0 = values(n, seed: 2), m0 = values(n, seed: 3)
                let s0 = values(n, seed: 4, positive: true)
                var results: [[UInt32]] = []
                for set in [0, isa] {
                    var p = p0, m = m0, s = s0
                    p.withUnsafeMutableBufferPointer { p in
                        m.withUnsafeMutableBufferPointer { m in
                            s.withUnsafeMutableBufferPointer { s in
                                g.withUnsafeBufferPointer { g in
                                    Optimizer._adam(p.baseAddress!, g.baseAddress!, m.baseAddress!, s.baseAddress!, count: n,
                                                    lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
                                                    correction1: 3.1, correction2: 1.7,
                                                    coupledDecay: kind == .adam ? decay : 0, decoupledDecay: kind == .adamw ? decay : 0,
                                                    isa: set)
                                }
                            }
                        }
                    }
                    results.append(bits(p) + bits(m) + bits(s))
                }
                #expect(results[0] == results[1], "adam n \(n) isa \(isa) \(kind)")
            }
        }
    }
}

@Test func reluKernelsGiveThePortableBits() {
    for n in sizes {
        let x = values(n, seed: 5), g = values(n, seed: 6)
        func run(_ isa: Int32) -> [UInt32] {
            var y = [Float](repeating: 7, count: n), dx = [Float](repeating: 7, count: n)
            x.withUnsafeBufferPointer { x in
                g.withUnsafeBufferPointer { g in
                    y.withUnsafeMutableBufferPointer { y in
                        dx.withUnsafeMutableBufferPointer { dx in
                            guard n > 0 else { return }
                            _Vectorized.relu(x.baseAddress!, y.baseAddress!, count: n, isa: isa)
                            _Vectorized.reluBackward(x.baseAddress!, g.baseAddress!, dx.baseAddress!, count: n, isa: isa)
                        }
                    }
                }
            }
            return bits(y) + bits(dx)
        }
        let portable = run(0)
        for isa in wideSets { #expect(run(isa) == portable, "relu n \(n) isa \(isa)") }
    }
}

@Test func biasKernelsGiveThePortableBits() {
    for n in sizes where n > 0 {
        for rows in [1, 3, 17] {
            let g = values(rows * n, seed: 7), b = values(n, seed: 8), start = values(n, seed: 9)
            func run(_ isa: Int32, accumulate: Bool) -> [UInt32] {
                var y = g, db = start
                b.withUnsafeBufferPointer { b in
                    y.withUnsafeMutableBufferPointer { y in
                        _Vectorized.addRows(b.baseAddress!, into: y.baseAddress!, rows: rows, count: n, isa: isa)
                    }
                }
                g.withUnsafeBufferPointer { g in
                    db.withUnsafeMutableBufferPointer { db in
                        _Vectorized.columnSums(g.baseAddress!, into: db.baseAddress!, rows: rows, count: n, accumulate: accumulate, isa: isa)
                    }
                }
                return bits(y) + bits(db)
            }
            for accumulate in [false, true] {
                let portable = run(0, accumulate: accumulate)
                for isa in wideSets { #expect(run(isa, accumulate: accumulate) == portable, "bias n \(n) rows \(rows) isa \(isa)") }
            }
        }
    }
}

@Test func biasGradientSumsRowsInOrder() {
    // 1e8 + 1 − 1e8 in row order is 0 in Float; any other order of the three rows gives 1 or 0 differently.
    let g: [Float] = [1e8, 1, -1e8].flatMap { [Float](repeating: $0, count: 40) }
    for isa in [Int32(0)] + wideSets {
        var db = [Float](repeating: 5, count: 40)
        g.withUnsafeBufferPointer { g in
            db.withUnsafeMutableBufferPointer { db in
                _Vectorized.columnSums(g.baseAddress!, into: db.baseAddress!, rows: 3, count: 40, accumulate: false, isa: isa)
            }
        }
        #expect(db == [Float](repeating: (Float(1e8) + 1) - 1e8, count: 40))
    }
}

@Test(arguments: [OptimizerKind.sgd, .adam, .adamw])
func optimizerGivesTheSameBitsForEveryWorkerCount(kind: OptimizerKind) {
    // 70,001 values: above the parallel threshold, with a scalar tail.
    let n = 70_001
    var results: [[UInt32]] = []
    for workers in [1, 2, 3] {
        var optimizer = Optimizer(kind: kind, weightDecay: 0.01, context: ComputeContext(workers: workers))
        var p = values(n, seed: 10), g = values(n, seed: 11)
        for step in 0..<3 {
            g[step] += 1
            optimizer.update(learningRate: 0.01) { body in body(&p, &g) }
        }
        results.append(bits(p))
    }
    #expect(results[0] == results[1] && results[0] == results[2])
}

@Test func l2NormalizeMatchesTheRowByRowDefinitionBitwise() {
    for (b, d) in [(1, 5), (4, 128), (7, 33), (13, 8)] {
        var x = Matrix(rows: b, cols: d, storage: values(b * d, seed: 12).map { $0.isFinite ? $0 : 0.5 })
        for j in 0..<d { x[b - 1, j] = 0 }  // a zero row: the ε branch
        let dy = Matrix(rows: b, cols: d, storage: values(b * d, seed: 13).map { $0.isFinite ? $0 : -0.25 })
        let layer = L2Normalize(width: d)
        layer.forward(x)
        layer.backward(input: x, outputGradient: dy, needInputGradient: true, accumulate: false)
        var y = [Float](), dx = [Float]()
        for r in 0..<b {
            var s: Float = 0
            for j in 0..<d { s += x[r, j] * x[r, j] }
            let n = max(s.squareRoot(), L2Normalize.epsilon), inv = 1 / n
            let yr = (0..<d).map { x[r, $0] * inv }
            y += yr
            if n > L2Normalize.epsilon {
                var dot: Float = 0
                for j in 0..<d { dot += yr[j] * dy[r, j] }
                dx += (0..<d).map { (dy[r, $0] - yr[$0] * dot) * inv }
            } else {
                dx += (0..<d).map { dy[r, $0] * inv }
            }
        }
        #expect(bits(layer.output.storage) == bits(y), "forward \(b)×\(d)")
        #expect(bits(layer.inputGradient.storage) == bits(dx), "backward \(b)×\(d)")
    }
}

@Test func parallelGatherCopiesTheIndexedRows() {
    let source = Matrix(rows: 300, cols: 300, storage: (0..<90_000).map(Float.init))
    let indices = (0..<257).map { ($0 * 37) % 300 }
    var serial = Matrix(rows: 0, cols: 0), parallel = Matrix(rows: 0, cols: 0)
    source.gatherRows(indices, into: &serial)
    source.gatherRows(indices, into: &parallel, context: ComputeContext(workers: 2))
    #expect(parallel == serial)
    // Every row (the prefetching copy runs two rows ahead: the last rows of each worker's range too).
    for workers in 1...3 {
        var out = Matrix(rows: 0, cols: 0)
        source.gatherRows(indices, into: &out, context: ComputeContext(workers: workers))
        #expect(out.rows == indices.count && out.cols == 300)
        #expect((0..<indices.count).allSatisfy { r in (0..<300).allSatisfy { out[r, $0] == Float(indices[r] * 300 + $0) } }, "workers \(workers)")
    }
}

/// A hidden layer's fused bias + ReLU passes (`addRowsReLU`, `reluBackwardColumnSums`) against the
/// two passes they replace on the portable path: the bias add then `relu`, and `reluBackward` on
/// the pre-activation then `columnSums`; shapes with rows · n a multiple of 8 (the fused kernels)
/// and not (the two-pass fallback), each instruction set this CPU has.
@Test func fusedHiddenLayerPassesGiveTheTwoPassBits() {
    let shapes = [(1, 1), (3, 5), (8, 1), (8, 7), (2, 12), (4, 70), (5, 16), (16, 512), (3, 100), (2, 129), (7, 64), (9, 24)]
    for (index, (rows, n)) in shapes.enumerated() {
        let seed = UInt64(10 * index)
        let pre = values(rows * n, seed: seed + 1), bias = values(n, seed: seed + 2)
        let g = values(rows * n, seed: seed + 3), db0 = values(n, seed: seed + 4)
        // The portable two-pass reference: x = pre + bias, y = relu(x); dx = reluBackward(x, g), db (+)= Σ dx.
        var x = pre, y = [Float](repeating: 0, count: rows * n)
        x.withUnsafeMutableBufferPointer { xp in
            bias.withUnsafeBufferPointer { _Vectorized.addRows($0.baseAddress!, into: xp.baseAddress!, rows: rows, count: n, isa: 0) }
        }
        y.withUnsafeMutableBufferPointer { _Vectorized.relu(x, $0.baseAddress!, count: rows * n, isa: 0) }
        for isa in [0] + wideSets {
            var fused = pre
            fused.withUnsafeMutableBufferPointer { yp in
                bias.withUnsafeBufferPointer { _Vectorized.addRowsReLU($0.baseAddress!, into: yp.baseAddress!, rows: rows, count: n, isa: isa) }
            }
            #expect(bits(fused) == bits(y), "forward \(rows)×\(n), isa \(isa)")
            for accumulate in [false, true] {
                var dx = [Float](repeating: 7, count: rows * n), db = db0
                dx.withUnsafeMutableBufferPointer { dxp in
                    db.withUnsafeMutableBufferPointer { dbp in
                        _Vectorized.reluBackward(x, g, dxp.baseAddress!, count: rows * n, isa: 0)
                        _Vectorized.columnSums(dxp.baseAddress!, into: dbp.baseAddress!, rows: rows, count: n, accumulate: accumulate, isa: 0)
                    }
                }
                var dx2 = [Float](repeating: 7, count: rows * n), db2 = db0
                dx2.withUnsafeMutableBufferPointer { dxp in
                    db2.withUnsafeMutableBufferPointer { dbp in
                        _Vectorized.reluBackwardColumnSums(y, g, dxp.baseAddress!, into: dbp.baseAddress!, rows: rows, count: n,
                                                           accumulate: accumulate, isa: isa)
                    }
                }
                #expect(bits(dx2) == bits(dx), "backward dx \(rows)×\(n), isa \(isa), accumulate \(accumulate)")
                #expect(bits(db2) == bits(db), "backward db \(rows)×\(n), isa \(isa), accumulate \(accumulate)")
            }
        }
    }
}

/// The MLP's hidden layers: `Linear(activation: .relu)` computes what `Linear(activation:
/// .reluInNextLayer)` followed by a `ReLU` layer computes — output, weight, bias and input
/// gradients, bit for bit.
@Test func hiddenLinearWithItsReLUGivesLinearThenReLUBits() {
    for (batch, width, hidden) in [(8, 10, 64), (5, 9, 13), (32, 40, 24), (3, 7, 8)] {
        var rngA = SplitMix64(seed: 5), rngB = SplitMix64(seed: 5)
        let fused = Linear(input: width, output: hidden, activation: .relu, rng: &rngA)
        let linear = Linear(input: width, output: hidden, activation: .reluInNextLayer, rng: &rngB)
        let relu = ReLU(width: hidden)
        #expect(fused.weight.storage == linear.weight.storage)
        var g = SplitMix64(seed: 6)
        let bias = (0..<hidden).map { _ in Float(g.nextUniform() - 0.5) }
        fused.bias = bias
        linear.bias = bias
        var input = Matrix(rows: batch, cols: width)
        for i in input.storage.indices { input.storage[i] = Float(g.nextUniform() * 2 - 1) }
        var dy = Matrix(rows: batch, cols: hidden)
        for i in dy.storage.indices { dy.storage[i] = Float(g.nextUniform() * 2 - 1) }
        for accumulate in [false, true] {
            fused.forward(input)
            linear.forward(input)
            relu.forward(linear.output)
            #expect(bits(fused.output.storage) == bits(relu.output.storage), "\(batch)×\(width)→\(hidden)")
            fused.backward(input: input, outputGradient: dy, needInputGradient: true, accumulate: accumulate)
            relu.backward(input: linear.output, outputGradient: dy, needInputGradient: true, accumulate: accumulate)
            linear.backward(input: input, outputGradient: relu.inputGradient, needInputGradient: true, accumulate: accumulate)
            #expect(bits(fused.weightGradient.storage) == bits(linear.weightGradient.storage))
            #expect(bits(fused.biasGradient) == bits(linear.biasGradient))
            #expect(bits(fused.inputGradient.storage) == bits(linear.inputGradient.storage))
            #expect(fused.output.storage.contains { $0 == 0 } && fused.output.storage.contains { $0 > 0 })
        }
    }
}
