import Testing
@testable import MetricLearning
import NumericCore

// `_UnitRows` sums several rows' squares and dot products at once (one vector
// lane per row, in Swift four rows, in C blocks of 8 or 16) and adds
// `Float(r_i) u_i` in its backward. The one-row loops, written out here, give
// the same bits on every instruction set, for row counts with tails in each
// worker's range, zero rows (clamped norm), tiny rows and negative zeros.

/// The one-row loops: norms, unit rows, and the backward of `upstream` without and with `multiples`.
private func oneRowLoops(_ x: Matrix, _ upstream: Matrix, _ multiples: [Double]) -> (norms: [Float], unit: Matrix, plain: Matrix, added: Matrix) {
    let n = x.rows, d = x.cols
    var norms = [Float](repeating: 0, count: n), unit = Matrix(rows: n, cols: d)
    for i in 0..<n {
        var s = 0.0
        for k in 0..<d { let v = Double(x[i, k]); s += v * v }
        let norm = max(s.squareRoot(), _UnitRows.epsilon)
        norms[i] = Float(norm)
        for k in 0..<d { unit[i, k] = Float(Double(x[i, k]) * (1 / norm)) }
    }
    func backward(_ r: [Double]?) -> Matrix {
        var w = upstream
        for i in 0..<n {
            if let r { for k in 0..<d { w[i, k] += Float(r[i]) * unit[i, k] } }
            let norm = Double(norms[i]), clamped = norm <= _UnitRows.epsilon
            var dot = 0.0
            if !clamped { for k in 0..<d { dot += Double(unit[i, k]) * Double(w[i, k]) } }
            for k in 0..<d { w[i, k] = Float((Double(w[i, k]) - (clamped ? 0 : Double(unit[i, k]) * dot)) * (1 / norm)) }
        }
        return w
    }
    return (norms, unit, backward(nil), backward(multiples))
}

@Test func unitRowsPassesAreBitwiseTheOneRowLoopsOnEveryInstructionSet() {
    var g = SplitMix64(seed: 43)
    // 24 = one 16-row and one 8-row block; 130 and 603 split over the workers with tails.
    for (n, d) in [(1, 37), (7, 37), (24, 128), (130, 37), (256, 128), (603, 113), (19, 3)] {
        var x = Matrix(rows: n, cols: d), upstream = Matrix(rows: n, cols: d)
        for i in 0..<n {
            let scale: Float = i % 11 == 3 ? 0 : (i % 13 == 5 ? 1e-30 : 1)
            for k in 0..<d { x[i, k] = Float(g.nextNormal()) * scale }
        }
        for k in 0..<upstream.count { upstream.storage[k] = k % 17 == 4 ? -0.0 : Float(g.nextNormal()) }
        let multiples = (0..<n).map { _ in g.nextNormal() }
        let want = oneRowLoops(x, upstream, multiples)
        for isa in WideISA.available {
            for workers in 1...3 {
                let label = "n \(n) d \(d) isa \(isa) workers \(workers)"
                let context = ComputeContext(workers: workers)
                var rows = _UnitRows()
                rows.isa = isa
                rows.forward(x, context: context)
                #expect(rows.norms.map(\.bitPattern) == want.norms.map(\.bitPattern), "\(label)")
                #expect(rows.unit.storage.map(\.bitPattern) == want.unit.storage.map(\.bitPattern), "\(label)")
                var gradient = upstream
                rows.backward(&gradient, context: context)
                #expect(gradient.storage.map(\.bitPattern) == want.plain.storage.map(\.bitPattern), "\(label)")
                gradient = upstream
                rows.backward(&gradient, addingRowMultiples: multiples, context: context)
                #expect(gradient.storage.map(\.bitPattern) == want.added.storage.map(\.bitPattern), "\(label) + r u")
            }
        }
    }
}
