import Foundation
import Testing
import CKernels
@testable import MetricLearning
import NumericCore

// SupCon's row passes (the per-row log-sum-exp and the dL/dS pass, both on the
// loss's workers) against its former loop — the first pass per row, then
// dL/dS in one serial pass — bit for bit, for several worker counts.

/// SupCon's former evaluation after the similarities: loss sum, active rows and dL/dS,
/// before the shared backward (which the test applies to both alike).
private func serialSupCon(_ s: Matrix, _ m: [UInt8], invT: Double) -> (Double, Int, Matrix) {
    let b = s.rows
    var c = Matrix(rows: b, cols: b)
    var lseRow = [Double](repeating: 0, count: b), lossRow = lseRow, topRow = lseRow
    var total = 0.0, activeRows = 0
    for i in 0..<b {
        let row = i * b
        var top = -Double.infinity, positives = 0, positiveSum = 0.0
        for j in 0..<b where m[row + j] != _PairMask.none {
            let z = Double(s.storage[row + j]) * invT
            top = max(top, z)
            if m[row + j] == _PairMask.positive { positives += 1; positiveSum += z }
        }
        guard positives > 0 else { continue }
        var e: [Double] = []
        for j in 0..<b where m[row + j] != _PairMask.none { e.append(Double(s.storage[row + j]) * invT - top) }
        e.withUnsafeMutableBufferPointer { e in VectorExp.exp(e.baseAddress!, into: e.baseAddress!, count: e.count) }
        var sum = 0.0, n = 0
        for j in 0..<b where m[row + j] != _PairMask.none {
            sum += e[n]
            c.storage[row + j] = Float(e[n])
            n += 1
        }
        topRow[i] = top
        lseRow[i] = top + Foundation.log(sum)
        let loss = (lseRow[i] - top) - (positiveSum / Double(positives) - top)
        lossRow[i] = _Stable.roundsPositive(loss) ? loss : 0
    }
    for i in 0..<b where lossRow[i] > 0 {
        total += lossRow[i]
        activeRows += 1
    }
    let scale = activeRows > 0 ? 1 / Double(activeRows) : 0
    for i in 0..<b {
        let row = i * b
        guard lossRow[i] > 0 else {
            for j in 0..<b { c.storage[row + j] = 0 }
            continue
        }
        var positives = 0
        for j in 0..<b where m[row + j] == _PairMask.positive { positives += 1 }
        let share = 1 / Double(positives), softmaxScale = Foundation.exp(topRow[i] - lseRow[i])
        for j in 0..<b where m[row + j] != _PairMask.none {
            let softmax = Double(c.storage[row + j]) * softmaxScale
            c.storage[row + j] = Float((softmax - (m[row + j] == _PairMask.positive ? share : 0)) * invT * scale)
        }
    }
    return (total * scale, activeRows, c)
}

@Test(arguments: [0.07, 1.0])
func supconIsBitwiseItsFormerSerialPassForEveryWorkerCount(temperature: Double) throws {
    // 300 rows: the row passes split over the workers (B² · 16 ≥ 65,536); duplicate rows give
    // exact ties.
    let (x, y) = fastPathBatch(seed: 23, classes: 7, perClass: 43, duplicates: true)
    let pairs = serialCosinePairs(x, y)
    let mask = pairs.mask, s = pairs.similarities
    let unit = pairs.unit
    var (wantLoss, active, c) = serialSupCon(s, mask.values, invT: 1 / temperature)
    var wantGradient = Matrix(rows: x.rows, cols: x.cols)
    _Cosine.backwardSymmetric(coefficients: &c, unit.unit, gradient: &wantGradient, context: .serial)
    unit.backward(&wantGradient)
    #expect(active > 0, "no active row: the comparison would only see zeros")
    for workers in [1, 2, 3] {
        var loss = SupConLoss(.init(temperature: temperature), context: ComputeContext(workers: workers))
        var gradient = Matrix(rows: 0, cols: 0)
        // Twice: the second call reuses the loss's buffers, which must not leak the first call's values.
        for call in 0..<2 {
            let result = try loss.evaluate(embeddings: x, labels: y, pairs: nil, gradient: &gradient)
            #expect(result.loss.bitPattern == wantLoss.bitPattern, "workers \(workers), call \(call): \(result.loss) vs \(wantLoss)")
            #expect(result.activeFraction == Double(active) / Double(x.rows), "workers \(workers), call \(call)")
            #expect(gradient.storage.map(\.bitPattern) == wantGradient.storage.map(\.bitPattern), "workers \(workers), call \(call)")
        }
    }
}

@Test func supconCoefficientKernelMatchesTheSwiftLoop() {
    // Kept exponentials in [0, 1] with zeros, NaN and ∞ among them; all three mask values.
    var g = SplitMix64(seed: 31)
    let specials: [Float] = [0, -0.0, .nan, .infinity, 1]
    for n in [0, 1, 7, 8, 9, 256, 300] {
        for trial in 0..<20 {
            let row = (0..<n).map { _ in g.nextInt(below: 4) == 0 ? specials[g.nextInt(below: specials.count)] : Float(g.nextUniform()) }
            let m = (0..<n).map { _ in UInt8(g.nextInt(below: 3)) }
            let softmaxScale = trial == 0 ? Double.infinity : g.nextUniform() * 3, share = 1 / Double(1 + g.nextInt(below: 40))
            let invT = 1 / 0.07, scale = 1 / Double(1 + g.nextInt(below: 300))
            var want = row
            for j in 0..<n {
                let k = m[j]
                guard k != _PairMask.none else { want[j] = 0; continue }
                let softmax = Double(row[j]) * softmaxScale
                want[j] = Float((softmax - (k == _PairMask.positive ? share : 0)) * invT * scale)
            }
            for wide in WideISA.available {
                var got = row
                mb_supcon_coefficients(wide, &got, m, n, softmaxScale, share, invT, scale)
                #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "n \(n), trial \(trial), isa \(wide)")
            }
        }
    }
}
