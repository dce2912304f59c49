import Testing
import CKernels
@testable import MetricLearning
import NumericCore

// The margin loss's C row passes (CKernelsMargin.h) against the Swift passes of
// _MarginPasses they replace, bit for bit, for every instruction set this CPU
// runs (0 the portable C body, 1 AVX2, 2 AVX-512F). The loss as a whole is
// checked against its former serial loops in TripletRowPassTests.

/// One row of a Gram matrix with the values that matter at the edges: exact
/// distances 1 (G = ½ with unit norms, so some hinges are exactly 0), G at or
/// above (s_i + s_j)/2 (D² ≤ 0, clamped), ±0 and a NaN.
private func gramRow(_ g: inout SplitMix64, n: Int, i: Int, squaredNorms sq: [Double]) -> [Float] {
    (0..<n).map { j in
        switch g.next() % 16 {
        case 0: return 0.5
        case 1: return Float((sq[i] + sq[j]) / 2)
        case 2: return Float((sq[i] + sq[j]) / 2) + 1e-3
        case 3: return j % 2 == 0 ? 0 : -0.0
        case 4: return n > 20 && j == n / 3 ? .nan : 0.25
        default: return Float(g.nextNormal() * 0.5)
        }
    }
}

private func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }
private func bits(_ v: ArraySlice<Double>) -> [UInt64] { v.map(\.bitPattern) }

@Test func marginAllRowKernelMatchesTheSwiftPasses() {
    var g = SplitMix64(seed: 71)
    // (β, α): the defaults, exact zero hinges at D = 1 for negatives and for positives, α > β
    // (the diagonal's own hinge is active and must not count).
    let parameters: [(Float, Float)] = [(1.2, 0.2), (0.5, 0.5), (1.5, 0.5), (0.1, 0.3)]
    for n in [1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 24, 31, 33, 64, 100, 128, 133, 256] {
        let sq = (0..<n).map { j in j % 5 == 0 ? 1.0 : 1 + g.nextNormal() * 1e-3 }
        let labels = (0..<n).map { _ in Int32(g.next() % 4) }
        let rows = n <= 33 ? Array(0..<n) : [0, 1, 7, 8, n / 2, n - 9, n - 1]
        for i in rows {
            let gram = gramRow(&g, n: n, i: i, squaredNorms: sq)
            for (beta, margin) in parameters {
                // The Swift passes, as MarginLoss ran them.
                var want = gram
                var wantC = [Float](repeating: .nan, count: n), wantT = [Double](repeating: .nan, count: n)
                var wantPositives = 0, wantActive = (positive: 0, negative: 0, terms: 0)
                want.withUnsafeMutableBufferPointer { d in
                    sq.withUnsafeBufferPointer { sq in
                        labels.withUnsafeBufferPointer { l in
                            _MarginPasses.distances(d.baseAddress!, squaredNorms: sq.baseAddress!, i: i, count: n)
                            wantPositives = _MarginPasses.sameLabelCount(l.baseAddress!, i: i, count: n) - 1
                            wantActive = _MarginPasses.allTripletHinges(
                                distances: d.baseAddress!, labels: l.baseAddress!, i: i, count: n,
                                positiveMultiplicity: n - 1 - wantPositives, negativeMultiplicity: wantPositives,
                                beta: beta, margin: margin, terms: &wantT, coefficients: &wantC)
                        }
                    }
                }
                for isa in WideISA.available {
                    var got = gram
                    var c = [Float](repeating: .nan, count: n), t = [Double](repeating: .nan, count: n)
                    let r = mb_margin_all_row(isa, &got, sq, labels, i, n, beta, margin, &t, &c)
                    let label = "n \(n) i \(i) β \(beta) α \(margin) isa \(isa)"
                    #expect(bits(got) == bits(want), "distances, \(label)")
                    #expect(bits(c) == bits(wantC), "coefficients, \(label)")
                    #expect(Int(r.positives) == wantPositives, "positives, \(label)")
                    #expect(Int(r.positive) == wantActive.positive && Int(r.negative) == wantActive.negative,
                            "active counts, \(label)")
                    #expect(Int(r.terms) == wantActive.terms, "term count, \(label)")
                    let k = min(Int(r.terms), wantActive.terms)
                    #expect(bits(t[0..<k]) == bits(wantT[0..<k]), "terms, \(label)")
                }
            }
        }
    }
}

@Test func marginWeightsRowKernelMatchesTheSwiftPass() {
    var g = SplitMix64(seed: 72)
    for n in [1, 3, 4, 7, 8, 9, 17, 64, 133, 256] {
        // Distances with zeros and a NaN; coefficients as the hinge pass writes them (+0 or ±multiplicity).
        let distances = (0..<n).map { j -> Float in
            switch g.next() % 8 {
            case 0: return 0
            case 1: return n > 10 && j == 5 ? .nan : 1
            default: return Float(abs(g.nextNormal()) + 0.5)
            }
        }
        let coefficients = (0..<n).map { _ -> Float in
            switch g.next() % 3 {
            case 0: return 0
            case 1: return 61
            default: return 0 - 3
            }
        }
        for scale in [1.0 / 4_095, 1.0 / 3, 1] {
            var wantC = coefficients, wantW = [Double](repeating: .nan, count: n)
            distances.withUnsafeBufferPointer { d in
                _MarginPasses.weights(distances: d.baseAddress!, coefficients: &wantC, scale: scale, into: &wantW, count: n)
            }
            for isa in WideISA.available {
                var c = coefficients, w = [Double](repeating: .nan, count: n)
                mb_margin_weights_row(isa, distances, &c, scale, &w, n)
                #expect(w.map(\.bitPattern) == wantW.map(\.bitPattern), "n \(n) scale \(scale) isa \(isa)")
                #expect(bits(c) == bits(wantC), "n \(n) scale \(scale) isa \(isa)")
            }
        }
    }
}

/// Each worker's rows of the weight sums: the serial loop `r_i += W_ij; r_j += W_ij`,
/// the Swift four-row pass and the C pass agree bit for bit, for ranges that
/// start and end off the four-row groups.
@Test func marginRowSumsKernelMatchesTheSerialLoop() {
    var g = SplitMix64(seed: 73)
    for n in [1, 2, 5, 8, 13, 64, 133, 256] {
        let w = (0..<(n * n)).map { _ -> Double in g.next() % 4 == 0 ? 0 : g.nextNormal() * 1e-3 }
        var serial = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for j in 0..<n {
                serial[i] += w[i * n + j]
                serial[j] += w[i * n + j]
            }
        }
        let splits = Set([0, 1, n / 3, n / 2, n - 1, n].filter { $0 >= 0 && $0 <= n }).sorted()
        for lo in splits {
            for hi in splits where hi > lo {
                var swift = [Double](repeating: .nan, count: n)
                w.withUnsafeBufferPointer { wp in
                    _MarginPasses.rowSums(wp.baseAddress!, into: &swift, count: n, rows: lo..<hi)
                }
                #expect(swift[lo..<hi].map(\.bitPattern) == serial[lo..<hi].map(\.bitPattern), "Swift n \(n) \(lo)..<\(hi)")
                for isa in WideISA.available {
                    var r = [Double](repeating: .nan, count: n)
                    mb_margin_row_sums(isa, w, &r, n, lo, hi)
                    #expect(r[lo..<hi].map(\.bitPattern) == serial[lo..<hi].map(\.bitPattern), "n \(n) \(lo)..<\(hi) isa \(isa)")
                }
            }
        }
    }
}

/// The fused pass (W's floats and the weight sums of a block of rows, W never
/// stored) equals mb_margin_weights_row on every row of the block plus
/// mb_margin_row_sums over the whole W, bit for bit, for blocks that start and
/// end off the four-row groups, and leaves the other rows of `c` alone.
@Test func marginFusedWeightsAndSumsMatchTheTwoPasses() {
    var g = SplitMix64(seed: 74)
    for n in [1, 5, 8, 13, 64, 133, 256] {
        // Distances with zeros (the diagonal) and multiplicity coefficients as the row pass writes them.
        var distances = [Float](repeating: 0, count: n * n), multiplicities = distances
        for i in 0..<n {
            for j in 0..<n where j != i {
                distances[i * n + j] = g.next() % 9 == 0 ? 0 : Float(abs(g.nextNormal()) + 0.3)
                multiplicities[i * n + j] = [0, 0, Float(n - 3), 0 - 3][Int(g.next() % 4)]
            }
        }
        let scale = 1 / Double(n * n + 7)
        for isa in WideISA.available {
            var wantC = multiplicities, w = [Double](repeating: .nan, count: n * n)
            for i in 0..<n {
                wantC.withUnsafeMutableBufferPointer { c in
                    w.withUnsafeMutableBufferPointer { w in
                        mb_margin_weights_row(isa, Array(distances[(i * n)..<(i * n + n)]), c.baseAddress! + i * n, scale,
                                              w.baseAddress! + i * n, n)
                    }
                }
            }
            let splits = Set([0, 1, n / 3, n / 2, n - 1, n].filter { $0 >= 0 && $0 <= n }).sorted()
            for lo in splits {
                for hi in splits where hi > lo {
                    var wantR = [Double](repeating: .nan, count: n)
                    mb_margin_row_sums(isa, w, &wantR, n, lo, hi)
                    var c = [Float](repeating: .nan, count: n * n), r = [Double](repeating: .nan, count: n)
                    var scratch = [Double](repeating: .nan, count: 8 * n)
                    mb_margin_weights_and_sums(isa, distances, multiplicities, &c, scale, &scratch, &r, n, lo, hi)
                    let label = "n \(n) \(lo)..<\(hi) isa \(isa)"
                    #expect(r[lo..<hi].map(\.bitPattern) == wantR[lo..<hi].map(\.bitPattern), "sums, \(label)")
                    #expect(bits(Array(c[(lo * n)..<(hi * n)])) == bits(Array(wantC[(lo * n)..<(hi * n)])), "−W, \(label)")
                    #expect(c[..<(lo * n)].allSatisfy(\.isNaN) && c[(hi * n)...].allSatisfy(\.isNaN), "other rows, \(label)")
                }
            }
        }
    }
}
