import Foundation
import Testing
import CKernels
@testable import MetricLearning
import NumericCore

// The pair mask's C rows (CKernelsLoss.h) against label comparisons, bit for
// bit, and NT-Xent as a whole against its former serial loop (scalar `exp`,
// terms summed in one serial pass) for several worker counts.

@Test func pairMaskRowsMatchLabelComparisonsForEveryWorkerCount() {
    var g = SplitMix64(seed: 43)
    for b in [1, 2, 9, 255, 256, 300] {  // from 256 rows on the rows split over the workers
        let labels = (0..<b).map { _ in [Int32.min, -1, 0, 3, Int32.max][g.nextInt(below: 5)] }
        var want = [UInt8](repeating: 0, count: b * b), positives = 0
        for i in 0..<b {
            for j in 0..<b where i != j {
                want[i * b + j] = labels[i] == labels[j] ? _PairMask.positive : _PairMask.negative
                if labels[i] == labels[j] { positives += 1 }
            }
        }
        for workers in [1, 2, 3] {
            var mask = _PairMask()
            mask.assign(labels: labels, pairs: nil, context: ComputeContext(workers: workers))
            #expect(mask.values == want, "b \(b) workers \(workers)")
            #expect(mask.positivePairs == positives && mask.negativePairs == b * b - b - positives, "b \(b) workers \(workers)")
        }
    }
}

/// NT-Xent's former per-anchor loop, serial, with the scalar `exp`: loss and
/// dL/dS, before the shared backward (which the test applies to both alike).
private func serialNTXent(_ s: Matrix, _ m: [UInt8], invT: Double, weight: Double) -> (Double, Int, Matrix) {
    let b = s.rows
    var c = Matrix(rows: b, cols: b)
    var total = 0.0, active = 0
    for a in 0..<b {
        let row = a * b
        var maxN = -Double.infinity
        for j in 0..<b where m[row + j] == _PairMask.negative { maxN = max(maxN, Double(s.storage[row + j]) * invT) }
        var e: [Double] = []
        for j in 0..<b where m[row + j] == _PairMask.negative { e.append(Foundation.exp(Double(s.storage[row + j]) * invT - maxN)) }
        var sumN = 0.0
        if maxN > -.infinity { for v in e { sumN += v } }
        var negativeWeight = 0.0
        for j in 0..<b where m[row + j] == _PairMask.positive {
            let z = Double(s.storage[row + j]) * invT
            let top = max(z, maxN)
            let l = top + Foundation.log(Foundation.exp(z - top) + sumN * Foundation.exp(maxN - top))
            let logRatio = z - l
            let ratio = Foundation.exp(logRatio)
            total += -Foundation.log(ratio + _Stable.tiny)
            if ratio < 1 { active += 1 }
            let kappa = ratio / (ratio + _Stable.tiny)
            c.storage[row + j] = Float(kappa * Foundation.expm1(logRatio) * invT * weight)
            if maxN > -.infinity { negativeWeight += kappa * Foundation.exp(maxN - l) }
        }
        var k = 0
        for j in 0..<b where m[row + j] == _PairMask.negative {
            c.storage[row + j] = Float(negativeWeight * e[k] * invT * weight)
            k += 1
        }
    }
    return (total, active, c)
}

/// The unmined pair mask of `y`, `x`'s unit rows and their cosine similarities,
/// computed serially: the inputs of the pair losses' former serial loops.
func serialCosinePairs(_ x: Matrix, _ y: [Int32]) -> (mask: _PairMask, unit: _UnitRows, similarities: Matrix) {
    var mask = _PairMask()
    mask.assign(labels: y, pairs: nil)
    var unit = _UnitRows()
    unit.forward(x)
    var s = Matrix(rows: 0, cols: 0)
    _Cosine.similarities(unit.unit, unit.unit, into: &s, context: .serial)
    return (mask, unit, s)
}

@Test(arguments: [0.07, 1.0])
func ntxentIsBitwiseItsFormerSerialLoopForEveryWorkerCount(temperature: Double) throws {
    // 300 rows: the per-anchor pass splits (B² · 16 ≥ 65,536) and the first part's running sum
    // hands over to the serial sum; duplicate rows give exact ties among the similarities.
    let (x, y) = fastPathBatch(seed: 19, classes: 6, perClass: 50, duplicates: true)
    let pairs = serialCosinePairs(x, y)
    let mask = pairs.mask, s = pairs.similarities
    let unit = pairs.unit
    let weight = 1 / Double(mask.positivePairs)
    var (total, active, c) = serialNTXent(s, mask.values, invT: 1 / temperature, weight: weight)
    var wantGradient = Matrix(rows: x.rows, cols: x.cols)
    _Cosine.backwardSymmetric(coefficients: &c, unit.unit, gradient: &wantGradient, context: .serial)
    unit.backward(&wantGradient)
    let wantLoss = total * weight
    for workers in [1, 2, 3] {
        var loss = NTXentLoss(.init(temperature: temperature), context: ComputeContext(workers: workers))
        var gradient = Matrix(rows: 0, cols: 0)
        let result = try loss.evaluate(embeddings: x, labels: y, pairs: nil, gradient: &gradient)
        #expect(result.loss.bitPattern == wantLoss.bitPattern, "workers \(workers): \(result.loss) vs \(wantLoss)")
        #expect(result.activeFraction == Double(active) / Double(mask.positivePairs), "workers \(workers)")
        #expect(gradient.storage.map(\.bitPattern) == wantGradient.storage.map(\.bitPattern), "workers \(workers)")
    }
}

@Test func unitRowsAreBitwiseIdenticalForEveryWorkerCount() {
    // 600 × 128 values: the rows split over the workers; some rows zero (clamped norm) or tiny.
    var g = SplitMix64(seed: 47)
    var x = Matrix(rows: 600, cols: 128)
    for i in 0..<x.rows {
        let scale: Float = i % 97 == 0 ? 0 : (i % 89 == 0 ? 1e-30 : 1)
        for k in 0..<x.cols { x[i, k] = Float(g.nextNormal()) * scale }
    }
    var upstream = Matrix(rows: 600, cols: 128)
    for k in 0..<upstream.count { upstream.storage[k] = Float(g.nextNormal()) }
    var want = _UnitRows()
    want.forward(x)
    var wantGradient = upstream
    want.backward(&wantGradient)
    // The serial result against the formula, so a wrong row split cannot hide behind a wrong reference.
    for i in [0, 1, 97, 178, 599] {
        let norm = max((0..<128).reduce(0.0) { $0 + Double(x[i, $1]) * Double(x[i, $1]) }.squareRoot(), 1e-12)
        #expect(want.norms[i] == Float(norm), "row \(i)")
        #expect(want.unit[i, 5] == Float(Double(x[i, 5]) * (1 / norm)), "row \(i)")
    }
    for workers in [2, 3] {
        var unit = _UnitRows()
        unit.forward(x, context: ComputeContext(workers: workers))
        #expect(unit.unit.storage.map(\.bitPattern) == want.unit.storage.map(\.bitPattern), "workers \(workers)")
        #expect(unit.norms.map(\.bitPattern) == want.norms.map(\.bitPattern), "workers \(workers)")
        var gradient = upstream
        unit.backward(&gradient, context: ComputeContext(workers: workers))
        #expect(gradient.storage.map(\.bitPattern) == wantGradient.storage.map(\.bitPattern), "workers \(workers)")
    }
}

@Test func nearlySortedInsertionSortsLikeTheStandardSort() {
    var g = SplitMix64(seed: 53)
    for n in [0, 1, 2, 3, 4, 5, 9, 64, 255, 1000] {
        for shape in 0..<4 {
            // Sorted, then disturbed: neighbours swapped (moves of 1–2), far moves, or random order.
            var keys = (0..<n).map { UInt64($0) * 3 + UInt64(g.nextInt(below: 3)) }
            for t in 0..<n {
                let reach = [2, 3, 40, n][shape]
                let u = min(n - 1, t + g.nextInt(below: max(reach, 1)))
                if g.nextInt(below: 3) == 0 { keys.swapAt(t, u) }
            }
            let want = keys.sorted()
            keys.withUnsafeMutableBufferPointer { _nearlySortedInsertion($0.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, n) }
            #expect(keys == want, "n \(n) shape \(shape)")
        }
    }
}
