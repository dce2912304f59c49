import Foundation
import Testing
import CKernels
@testable import MetricLearning
import NumericCore

// Circle's and multi-similarity's row passes (C, CKernelsPairLoss.h) against
// the former Swift loops — compacted rows, branches per column, `VectorExp` on
// the selected pairs — bit for bit, per row on rows with special values and
// end to end for several worker counts.

/// The former `CircleLoss.logit`.
private func formerCircleLogit(_ s: Double, positive: Bool, m: Double, gamma: Double) -> (value: Double, slope: Double) {
    if positive {
        let a = max(1 + m - s, 0)
        return (-gamma * a * (s - (1 - m)), -gamma * a)
    }
    let a = max(s + m, 0)
    return (gamma * a * (s - m), gamma * a)
}

private func exps(_ e: inout [Double]) {
    e.withUnsafeMutableBufferPointer { e in
        if let p = e.baseAddress { VectorExp.exp(p, into: p, count: e.count) }
    }
}

/// The former first pass of circle over one row: nil where a kind is missing.
private func formerCircleSums(_ s: [Float], _ mask: [UInt8], m: Double, gamma: Double)
    -> (topP: Double, topN: Double, sums: (Double, Double)?) {
    var topP = -Double.infinity, topN = -Double.infinity
    var e: [Double] = []
    for j in s.indices where mask[j] != _PairMask.none {
        let v = formerCircleLogit(Double(s[j]), positive: mask[j] == _PairMask.positive, m: m, gamma: gamma).value
        if mask[j] == _PairMask.positive { topP = max(topP, v) } else { topN = max(topN, v) }
        e.append(v)
    }
    guard topP > -.infinity, topN > -.infinity else { return (topP, topN, nil) }
    var n = 0
    for j in s.indices where mask[j] != _PairMask.none {
        e[n] -= mask[j] == _PairMask.positive ? topP : topN
        n += 1
    }
    exps(&e)
    var sumP = 0.0, sumN = 0.0
    n = 0
    for j in s.indices where mask[j] != _PairMask.none {
        if mask[j] == _PairMask.positive { sumP += e[n] } else { sumN += e[n] }
        n += 1
    }
    return (topP, topN, (sumP, sumN))
}

/// The former dL/dS pass of circle over one row.
private func formerCircleCoefficients(_ s: [Float], _ mask: [UInt8], m: Double, gamma: Double, lseP: Double, lseN: Double,
                                      slope: Double) -> [Float] {
    var e: [Double] = []
    for j in s.indices where mask[j] != _PairMask.none {
        let positive = mask[j] == _PairMask.positive
        e.append(formerCircleLogit(Double(s[j]), positive: positive, m: m, gamma: gamma).value - (positive ? lseP : lseN))
    }
    exps(&e)
    var c = [Float](repeating: 0, count: s.count), n = 0
    for j in s.indices where mask[j] != _PairMask.none {
        let dv = formerCircleLogit(Double(s[j]), positive: mask[j] == _PairMask.positive, m: m, gamma: gamma).slope
        c[j] = Float(slope * e[n] * dv)
        n += 1
    }
    return c
}

/// The former multi-similarity pass over one row: its term and its dL/dS row (b the batch size).
private func formerMultiSimilarityRow(_ s: [Float], _ mask: [UInt8], alpha: Double, beta: Double, base: Double, b: Int)
    -> (term: Double, c: [Float], maxP: Double, maxN: Double) {
    var maxP = 0.0, maxN = 0.0, anyP = false, anyN = false
    for j in s.indices {
        let v = Double(s[j])
        if mask[j] == _PairMask.positive { maxP = max(maxP, alpha * (base - v)); anyP = true }
        else if mask[j] == _PairMask.negative { maxN = max(maxN, beta * (v - base)); anyN = true }
    }
    var e: [Double] = []
    for j in s.indices {
        let v = Double(s[j])
        if mask[j] == _PairMask.positive { e.append(alpha * (base - v) - maxP) }
        else if mask[j] == _PairMask.negative { e.append(beta * (v - base) - maxN) }
    }
    exps(&e)
    var sumP = Foundation.exp(-maxP), sumN = Foundation.exp(-maxN)
    var c = [Float](repeating: 0, count: s.count), n = 0
    for j in s.indices where mask[j] != _PairMask.none {
        if mask[j] == _PairMask.positive { sumP += e[n] } else { sumN += e[n] }
        c[j] = Float(e[n])
        n += 1
    }
    let lseP = maxP + Foundation.log(sumP), lseN = maxN + Foundation.log(sumN)
    let term = (anyP ? lseP / alpha : 0) + (anyN ? lseN / beta : 0)
    let scaleP = -Foundation.exp(maxP - lseP) / Double(b), scaleN = Foundation.exp(maxN - lseN) / Double(b)
    for j in s.indices where mask[j] != _PairMask.none {
        c[j] = Float(Double(c[j]) * (mask[j] == _PairMask.positive ? scaleP : scaleN))
    }
    return (term, c, maxP, maxN)
}

/// The former circle evaluation after the similarities: loss, active rows and dL/dS.
private func serialCircle(_ s: Matrix, _ mask: [UInt8], m: Double, gamma: Double) -> (Double, Int, Matrix) {
    let b = s.rows
    var c = Matrix(rows: b, cols: b)
    var lse = [(Double, Double)](repeating: (0, 0), count: b), slopes = [Double](repeating: 0, count: b)
    var total = 0.0, active = 0
    for i in 0..<b {
        let row = Array(s.storage[i * b..<(i + 1) * b]), rowMask = Array(mask[i * b..<(i + 1) * b])
        let r = formerCircleSums(row, rowMask, m: m, gamma: gamma)
        guard let sums = r.sums else { continue }
        lse[i] = (r.topP + Foundation.log(sums.0), r.topN + Foundation.log(sums.1))
        let z = lse[i].0 + lse[i].1
        guard Float(Foundation.exp(z)) > 0 else { continue }
        total += _Stable.softplus(z)
        active += 1
        slopes[i] = _Stable.sigmoid(z)
    }
    let scale = active > 0 ? 1 / Double(active) : 0
    for i in 0..<b where slopes[i] * scale > 0 {
        let row = Array(s.storage[i * b..<(i + 1) * b]), rowMask = Array(mask[i * b..<(i + 1) * b])
        let ci = formerCircleCoefficients(row, rowMask, m: m, gamma: gamma, lseP: lse[i].0, lseN: lse[i].1, slope: slopes[i] * scale)
        for j in 0..<b { c.storage[i * b + j] = ci[j] }
    }
    return (total * scale, active, c)
}

/// The former multi-similarity evaluation after the similarities: loss, active rows and dL/dS.
private func serialMultiSimilarity(_ s: Matrix, _ mask: [UInt8], _ p: MultiSimilarityLoss.Parameters) -> (Double, Int, Matrix) {
    let b = s.rows
    var c = Matrix(rows: b, cols: b)
    var total = 0.0, active = 0
    for i in 0..<b {
        let row = Array(s.storage[i * b..<(i + 1) * b]), rowMask = Array(mask[i * b..<(i + 1) * b])
        let r = formerMultiSimilarityRow(row, rowMask, alpha: p.alpha, beta: p.beta, base: p.base, b: b)
        total += r.term
        if r.term > 0 { active += 1 }
        for j in 0..<b { c.storage[i * b + j] = r.c[j] }
    }
    return (total / Double(b), active, c)
}

/// Every third positive and every fifth negative pair of the batch (a sparse, mined-like selection).
private func sparsePairs(_ y: [Int32]) -> PairIndices {
    var pairs = PairIndices()
    var k = 0
    for i in y.indices {
        for j in y.indices where i != j {
            k += 1
            if y[i] == y[j], k % 3 == 0 {
                pairs.positiveAnchors.append(Int32(i)); pairs.positives.append(Int32(j))
            } else if y[i] != y[j], k % 5 == 0 {
                pairs.negativeAnchors.append(Int32(i)); pairs.negatives.append(Int32(j))
            }
        }
    }
    return pairs
}

/// Loss, active fraction and gradient of `evaluate` against the serial reference, bitwise.
private func expectBitwise(
    _ name: String, x: Matrix, y: [Int32], pairs: PairIndices?,
    reference: (Matrix, [UInt8]) -> (Double, Int, Matrix),
    evaluate: (ComputeContext, inout Matrix) throws -> LossResult
) throws {
    var mask = _PairMask()
    mask.assign(labels: y, pairs: pairs)
    var unit = _UnitRows()
    unit.forward(x)
    var s = Matrix(rows: 0, cols: 0)
    _Cosine.similarities(unit.unit, unit.unit, into: &s, context: .serial)
    var (wantLoss, active, c) = reference(s, mask.values)
    var wantGradient = Matrix(rows: x.rows, cols: x.cols)
    _Cosine.backwardSymmetric(coefficients: &c, unit.unit, gradient: &wantGradient, context: .serial)
    unit.backward(&wantGradient)
    #expect(active > 0, "\(name): no active row: the comparison would only see zeros")
    for workers in [1, 2, 3] {
        var gradient = Matrix(rows: 0, cols: 0)
        // Twice: the second call reuses the loss's buffers, which must not leak the first call's values.
        for call in 0..<2 {
            let result = try evaluate(ComputeContext(workers: workers), &gradient)
            #expect(result.loss.bitPattern == wantLoss.bitPattern, "\(name), workers \(workers), call \(call): \(result.loss) vs \(wantLoss)")
            #expect(result.activeFraction == Double(active) / Double(x.rows), "\(name), workers \(workers), call \(call)")
            #expect(gradient.storage.map(\.bitPattern) == wantGradient.storage.map(\.bitPattern), "\(name), workers \(workers), call \(call)")
        }
    }
}

@Test(arguments: [(0.4, 80.0), (0.25, 256.0), (0.1, 2.0)])
func circleIsBitwiseItsFormerSerialPassesForEveryWorkerCount(m: Double, gamma: Double) throws {
    // 300 rows: the row passes split over the workers (B² · 16 ≥ 65,536); duplicate rows give exact ties.
    let (x, y) = fastPathBatch(seed: 37, classes: 7, perClass: 43, duplicates: true)
    for pairs in [nil, sparsePairs(y)] {
        try expectBitwise("circle m \(m) γ \(gamma) \(pairs == nil ? "all" : "sparse")", x: x, y: y, pairs: pairs,
                          reference: { s, mask in serialCircle(s, mask, m: m, gamma: gamma) },
                          evaluate: { context, gradient in
                              var loss = CircleLoss(.init(m: m, gamma: gamma), context: context)
                              return try loss.evaluate(embeddings: x, labels: y, pairs: pairs, gradient: &gradient)
                          })
    }
}

@Test(arguments: [(2.0, 50.0, 0.5), (1.0, 10.0, 0.0), (20.0, 80.0, 0.9)])
func multiSimilarityIsBitwiseItsFormerSerialPassForEveryWorkerCount(alpha: Double, beta: Double, base: Double) throws {
    let (x, y) = fastPathBatch(seed: 41, classes: 6, perClass: 50, duplicates: true)
    for pairs in [nil, sparsePairs(y)] {
        let p = MultiSimilarityLoss.Parameters(alpha: alpha, beta: beta, base: base)
        try expectBitwise("multi-similarity α \(alpha) β \(beta) λ \(base) \(pairs == nil ? "all" : "sparse")", x: x, y: y,
                          pairs: pairs, reference: { s, mask in serialMultiSimilarity(s, mask, p) },
                          evaluate: { context, gradient in
                              var loss = MultiSimilarityLoss(p, context: context)
                              return try loss.evaluate(embeddings: x, labels: y, pairs: pairs, gradient: &gradient)
                          })
    }
}

/// Rows with ±0, NaN, ±∞, exact ties and all three mask values, lengths below and above the 8 lanes.
private func specialRows(seed: UInt64, _ body: (_ s: [Float], _ mask: [UInt8], _ label: String) -> Void) {
    var g = SplitMix64(seed: seed)
    let specials: [Float] = [0, -0.0, .nan, .infinity, -.infinity, 0.5, -0.5, 1, 0.4, 0.6, -0.4]
    for n in [0, 1, 7, 8, 9, 31, 256, 300] {
        for trial in 0..<30 {
            let s = (0..<n).map { _ in g.nextInt(below: 3) == 0 ? specials[g.nextInt(below: specials.count)] : Float(g.nextUniform() * 2 - 1) }
            // Every fourth trial selects only positives or none.
            let mask = (0..<n).map { _ in UInt8(g.nextInt(below: trial % 4 == 0 ? 2 : 3)) }
            body(s, mask, "n \(n), trial \(trial)")
        }
    }
}

@Test func circleRowKernelsMatchTheFormerSwiftLoops() {
    // m = 0.5 makes S = 0.5 a zero logit of either kind (the maxima's zero fallback); γ = 1e308 overflows.
    for (m, gamma) in [(0.4, 80.0), (0.5, 3.0), (0.25, 1e308)] {
        // Both builds of each pass: the portable one (isa 0) and, on a CPU with AVX2, the wide one.
        for isa in Set([0, VectorExp.isa]) {
        specialRows(seed: 43) { s, mask, base in
            let label = "\(base), isa \(isa)"
            let n = s.count
            var e = [Double](repeating: 7, count: n)
            let want = formerCircleSums(s, mask, m: m, gamma: gamma)
            let got = mb_circle_row_sums(isa, s, mask, n, m, gamma, &e)
            #expect(got.top_p.bitPattern == want.topP.bitPattern && got.top_n.bitPattern == want.topN.bitPattern,
                    "\(label), m \(m): tops \(got.top_p), \(got.top_n) vs \(want.topP), \(want.topN)")
            if let sums = want.sums {
                #expect(got.sum_p.bitPattern == sums.0.bitPattern && got.sum_n.bitPattern == sums.1.bitPattern,
                        "\(label), m \(m): sums \(got.sum_p), \(got.sum_n) vs \(sums)")
            }
            for (lseP, lseN, slope) in [(2.0, -3.0, 0.25), (0, 0, 1e-3), (.infinity, 1, 1)] {
                let wantC = formerCircleCoefficients(s, mask, m: m, gamma: gamma, lseP: lseP, lseN: lseN, slope: slope)
                var c = [Float](repeating: 9, count: n)
                mb_circle_row_coefficients(isa, s, mask, n, m, gamma, lseP, lseN, slope, &e, &c)
                #expect(c.map(\.bitPattern) == wantC.map(\.bitPattern), "\(label), m \(m), lse \(lseP), \(lseN)")
            }
        }
        }
    }
}

@Test func multiSimilarityRowKernelsMatchTheFormerSwiftLoop() {
    // α < 0 makes α · (λ − S) a −0 at S = λ (the maxima's zero fallback must pick the later zero);
    // the kernels take any value, the loss's validation only positive ones.
    for (alpha, beta, base) in [(2.0, 50.0, 0.5), (-1.0, 3.0, 0.5), (1.0, -2.0, 0.0), (1e308, 1e308, 0.4)] {
        for isa in Set([0, VectorExp.isa]) {
        specialRows(seed: 47) { s, mask, rowLabel in
            let label = "\(rowLabel), isa \(isa)"
            let n = s.count, b = 300
            let want = formerMultiSimilarityRow(s, mask, alpha: alpha, beta: beta, base: base, b: b)
            var e = [Double](repeating: 7, count: n)
            var r = mb_ms_row_max(isa, s, mask, n, alpha, beta, base, &e)
            let maxP = r.top_p, maxN = r.top_n
            #expect(maxP.bitPattern == want.maxP.bitPattern && maxN.bitPattern == want.maxN.bitPattern,
                    "\(label), α \(alpha), β \(beta): maxima \(maxP), \(maxN) vs \(want.maxP), \(want.maxN)")
            r.sum_p = Foundation.exp(-maxP)
            r.sum_n = Foundation.exp(-maxN)
            r = mb_ms_row_exp(isa, mask, n, r, &e)
            let lseP = maxP + Foundation.log(r.sum_p), lseN = maxN + Foundation.log(r.sum_n)
            let term = (r.positives > 0 ? lseP / alpha : 0) + (r.negatives > 0 ? lseN / beta : 0)
            #expect(r.positives == mask.filter { $0 == _PairMask.positive }.count)
            #expect(r.negatives == mask.filter { $0 == _PairMask.negative }.count)
            #expect(term.bitPattern == want.term.bitPattern, "\(label), α \(alpha), β \(beta): \(term) vs \(want.term)")
            let scaleP = -Foundation.exp(maxP - lseP) / Double(b), scaleN = Foundation.exp(maxN - lseN) / Double(b)
            var c = [Float](repeating: 9, count: n)
            mb_ms_row_coefficients(isa, mask, n, e, scaleP, scaleN, &c)
            #expect(c.map(\.bitPattern) == want.c.map(\.bitPattern), "\(label), α \(alpha), β \(beta)")
        }
        }
    }
}
