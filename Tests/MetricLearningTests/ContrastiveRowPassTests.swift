import Foundation
import Testing
import CKernels
@testable import MetricLearning
import NumericCore

// NT-Xent's and SupCon's per-anchor C passes (CKernelsContrastive.h) against
// the Swift passes they replaced, copied below verbatim (the masked C scans of
// CKernelsLoss.h, VectorExp / VectorLog / VectorExpm1 on the compacted rows,
// the branchy coefficient loops), bit for bit, for every instruction set of
// the passes and of the elementwise functions. The losses as a whole against
// their serial loops for worker counts 1–3: LossKernelTests,
// SupConRowPassTests.

/// Similarity rows with ties, ±0, NaN, ±∞ and values far apart, and masks with
/// rows of every shape (no positive, no negative, nothing selected).
private func awkwardProblem(_ b: Int, _ g: inout SplitMix64) -> ([Float], [UInt8]) {
    let specials: [Float] = [0, -0.0, .nan, .infinity, -.infinity, 1, -1, 0.5]
    var s = [Float](repeating: 0, count: b * b), m = [UInt8](repeating: 0, count: b * b)
    for i in 0..<b {
        let shape = g.nextInt(below: 8)
        for j in 0..<b {
            let special = g.nextInt(below: 16) == 0
            s[i * b + j] = special ? specials[g.nextInt(below: specials.count)] : Float(g.nextUniform() * 2 - 1)
            switch shape {
            case 0: m[i * b + j] = UInt8(g.nextInt(below: 2))  // no negative
            case 1: m[i * b + j] = g.nextInt(below: 2) == 0 ? 0 : 2  // no positive
            case 2: m[i * b + j] = 0
            case 3: s[i * b + j] = [Float(0), -0.0][g.nextInt(below: 2)]; m[i * b + j] = UInt8(g.nextInt(below: 3))
            default: m[i * b + j] = UInt8(g.nextInt(below: 3))
            }
        }
    }
    return (s, m)
}

/// Unit-row cosine similarities of a P×K-like batch: the values training sees.
private func cosineProblem(_ b: Int, classes: Int, _ g: inout SplitMix64) -> ([Float], [UInt8]) {
    let d = 16
    var x = Matrix(rows: b, cols: d)
    for k in 0..<x.count { x.storage[k] = Float(g.nextNormal()) }
    let labels = (0..<b).map { Int32($0 % classes) }
    let pairs = serialCosinePairs(x, labels)
    return (pairs.similarities.storage, pairs.mask.values)
}

/// The instruction-set combinations to run: the passes' own set and each elementwise function's
/// set (0 or this process's), all paths the CPU can take.
private func isaCombinations() -> [(wide: Int32, exp: Int32, log: Int32, expm1: Int32)] {
    var out: [(Int32, Int32, Int32, Int32)] = []
    for wide in WideISA.available {
        out.append((wide, 0, 0, 0))
        let e = min(VectorExp.isa, wide), l = min(VectorLog.isa, wide), x = min(VectorExpm1.isa, wide)
        if e > 0 || l > 0 || x > 0 { out.append((wide, e, l, x)) }
    }
    return out
}

/// NT-Xent's former per-anchor pass (main at bdd7a28), one anchor: its row of dL/dS, its terms and
/// its active count.
private func formerNTXentAnchor(
    _ s: UnsafePointer<Float>, _ m: UnsafePointer<UInt8>, b: Int, invT: Double, weight: Double,
    isa: (exp: Int32, log: Int32, expm1: Int32), c: UnsafeMutablePointer<Float>
) -> (terms: [Double], active: Int) {
    var terms: [Double] = []
    var active = 0
    var scratch = [Double](repeating: 0, count: 5 * b)
    scratch.withUnsafeMutableBufferPointer { scratch in
        let e = scratch.baseAddress!
        let maxN = formerRowMax(s, m, b, scale: invT) { $0 == _PairMask.negative }
        let negatives = formerRowCompact(s, m, b, scale: invT, shift: maxN, into: e) { $0 == _PairMask.negative }
        VectorExp.exp(e, into: e, count: negatives, isa: isa.exp)
        var sumN = 0.0
        if maxN > -.infinity {
            for k in 0..<negatives { sumN += e[k] }
        }
        let q1 = e + b, q2 = e + 2 * b, q3 = e + 3 * b, q4 = e + 4 * b
        let positives = formerRowTop(s, m, b, scale: invT, m: maxN, first: q1, second: q2) { $0 == _PairMask.positive }
        VectorExp.exp(q1, into: q1, count: positives, isa: isa.exp)
        VectorExp.exp(q2, into: q2, count: positives, isa: isa.exp)
        for p in 0..<positives { q3[p] = q1[p] + sumN * q2[p] }
        VectorLog.log(q3, into: q3, count: positives, isa: isa.log)
        var p = 0
        for j in 0..<b where m[j] == _PairMask.positive {
            let z = Double(s[j]) * invT
            let top = max(z, maxN)
            let l = top + q3[p]
            let logRatio = z - l
            q1[p] = logRatio
            q3[p] = logRatio
            q2[p] = maxN - l
            p += 1
        }
        VectorExp.exp(q1, into: q1, count: positives, isa: isa.exp)
        VectorExp.exp(q2, into: q2, count: positives, isa: isa.exp)
        for p in 0..<positives { q4[p] = q1[p] + _Stable.tiny }
        VectorLog.log(q4, into: q4, count: positives, isa: isa.log)
        VectorExpm1.expm1(q3, into: q3, count: positives, isa: isa.expm1)
        var negativeWeight = 0.0
        p = 0
        for j in 0..<b {
            guard m[j] == _PairMask.positive else {
                c[j] = 0
                continue
            }
            let ratio = q1[p], ratioMinusOne = q3[p]
            terms.append(-q4[p])
            if ratio < 1 { active += 1 }
            let kappa = ratio / (ratio + _Stable.tiny)
            c[j] = Float(kappa * ratioMinusOne * invT * weight)
            if maxN > -.infinity { negativeWeight += kappa * q2[p] }
            p += 1
        }
        var k = 0
        for j in 0..<b where m[j] == _PairMask.negative {
            c[j] = Float(negativeWeight * e[k] * invT * weight)
            k += 1
        }
    }
    return (terms, active)
}

/// Runs mb_ntxent_rows over anchors 0 ..< b in two calls split at `split` (the first summing its
/// terms into a running value, as the loss's first part does) and compares everything with the
/// former pass.
private func checkNTXent(_ s: [Float], _ m: [UInt8], b: Int, invT: Double, split: Int, label: String) {
    let weight = 1 / 37.0
    var wantC = [Float](repeating: 0, count: b * b)
    var wantTerms: [[Double]] = [], wantActive: [Int] = []
    for combo in isaCombinations() {
        wantTerms = []; wantActive = []
        s.withUnsafeBufferPointer { s in
            m.withUnsafeBufferPointer { m in
                wantC.withUnsafeMutableBufferPointer { c in
                    for a in 0..<b {
                        let r = formerNTXentAnchor(s.baseAddress! + a * b, m.baseAddress! + a * b, b: b, invT: invT,
                                                   weight: weight, isa: (combo.exp, combo.log, combo.expm1),
                                                   c: c.baseAddress! + a * b)
                        wantTerms.append(r.terms)
                        wantActive.append(r.active)
                    }
                }
            }
        }
        var wantRunning = 0.25  // a running value from earlier anchors
        for a in 0..<split { for t in wantTerms[a] { wantRunning += t } }

        var c = [Float](repeating: 7, count: b * b), terms = [Double](repeating: 7, count: b * b)
        var positives = [Int64](repeating: 7, count: b), active = positives
        var scratch = [Double](repeating: 7, count: mb_ntxent_scratch_count(b))
        var running = 0.25
        s.withUnsafeBufferPointer { s in
        m.withUnsafeBufferPointer { m in
        c.withUnsafeMutableBufferPointer { c in
        terms.withUnsafeMutableBufferPointer { terms in
        positives.withUnsafeMutableBufferPointer { positives in
        active.withUnsafeMutableBufferPointer { active in
            var problem = mb_ntxent_problem(
                s: s.baseAddress!, mask: m.baseAddress!, c: c.baseAddress!, terms: terms.baseAddress!,
                positives: positives.baseAddress!, active: active.baseAddress!, b: b, inv_t: invT, weight: weight,
                tiny: _Stable.tiny, wide: combo.wide, exp_isa: combo.exp, log_isa: combo.log, expm1_isa: combo.expm1)
            mb_ntxent_rows(&problem, 0, split, &scratch, &running)
            mb_ntxent_rows(&problem, split, b, &scratch, nil)
        }
        }
        }
        }
        }
        }
        let tag = "\(label), isa \(combo)"
        #expect(c.map(\.bitPattern) == wantC.map(\.bitPattern), "dL/dS, \(tag)")
        #expect(running.bitPattern == wantRunning.bitPattern, "running sum, \(tag): \(running) vs \(wantRunning)")
        #expect(positives.map(Int.init) == wantTerms.map(\.count), "positives, \(tag)")
        #expect(active.map(Int.init) == wantActive, "active, \(tag)")
        for a in split..<b {
            let got = Array(terms[(a * b)..<(a * b + wantTerms[a].count)])
            #expect(got.map(\.bitPattern) == wantTerms[a].map(\.bitPattern), "terms of anchor \(a), \(tag)")
        }
    }
}

@Test func ntxentRowKernelIsBitwiseTheFormerSwiftPassForEveryInstructionSet() {
    var g = SplitMix64(seed: 59)
    // Sizes around the 8 lanes and the four-row groups; splits that cut a group.
    for (b, split) in [(1, 1), (2, 0), (7, 3), (9, 5), (33, 17), (130, 66)] {
        let (s, m) = awkwardProblem(b, &g)
        for invT in [1 / 0.07, 1.0, .infinity] {
            checkNTXent(s, m, b: b, invT: invT, split: split, label: "awkward b \(b), 1/τ \(invT)")
        }
    }
    // Finite rows, so the running sum is a number: more positives than negatives (2 classes) and none
    // (1 class) leave terms beyond the negatives' sums for the running sum's own chain.
    for (b, classes) in [(128, 4), (256, 4), (100, 7), (64, 2), (40, 1)] {
        let (s, m) = cosineProblem(b, classes: classes, &g)
        for invT in [1 / 0.07, 1 / 0.01] {
            checkNTXent(s, m, b: b, invT: invT, split: b / 2 + 1, label: "cosine b \(b), 1/τ \(invT)")
        }
    }
}

/// SupCon's former first pass (main at bdd7a28), one row: its row of c (e^{z − top} of the selected
/// pairs) and the sums, or nil for a row without positives (whose row of c is then zero).
private func formerSupConRow(
    _ s: UnsafePointer<Float>, _ m: UnsafePointer<UInt8>, b: Int, invT: Double, expISA: Int32,
    c: UnsafeMutablePointer<Float>
) -> (positives: Int, positiveSum: Double, top: Double, sum: Double)? {
    var positives = 0, positiveSum = 0.0
    for j in 0..<b where m[j] == _PairMask.positive {
        positives += 1
        positiveSum += Double(s[j]) * invT
    }
    guard positives > 0 else {
        for j in 0..<b { c[j] = 0 }
        return nil
    }
    var e = [Double](repeating: 0, count: b)
    return e.withUnsafeMutableBufferPointer { e in
        let e = e.baseAddress!
        let top = formerRowMax(s, m, b, scale: invT) { $0 != _PairMask.none }
        let selected = formerRowCompact(s, m, b, scale: invT, shift: top, into: e) { $0 != _PairMask.none }
        VectorExp.exp(e, into: e, count: selected, isa: expISA)
        var sum = 0.0
        var n = 0
        for j in 0..<b {
            guard m[j] != _PairMask.none else { c[j] = 0; continue }
            sum += e[n]
            c[j] = Float(e[n])
            n += 1
        }
        return (positives, positiveSum, top, sum)
    }
}

private func checkSupCon(_ s: [Float], _ m: [UInt8], b: Int, invT: Double, label: String) {
    for combo in isaCombinations() {
        var wantC = [Float](repeating: 0, count: b * b)
        var want: [(positives: Int, positiveSum: Double, top: Double, sum: Double)?] = []
        s.withUnsafeBufferPointer { s in
            m.withUnsafeBufferPointer { m in
                wantC.withUnsafeMutableBufferPointer { c in
                    for i in 0..<b {
                        want.append(formerSupConRow(s.baseAddress! + i * b, m.baseAddress! + i * b, b: b, invT: invT,
                                                    expISA: combo.exp, c: c.baseAddress! + i * b))
                    }
                }
            }
        }
        var c = [Float](repeating: 7, count: b * b)
        var top = [Double](repeating: 7, count: b), sum = top, positiveSum = top
        var positives = [Int64](repeating: 7, count: b)
        var scratch = [Double](repeating: 7, count: mb_supcon_scratch_count(b))
        s.withUnsafeBufferPointer { s in
        m.withUnsafeBufferPointer { m in
        c.withUnsafeMutableBufferPointer { c in
        top.withUnsafeMutableBufferPointer { top in
        sum.withUnsafeMutableBufferPointer { sum in
        positiveSum.withUnsafeMutableBufferPointer { positiveSum in
        positives.withUnsafeMutableBufferPointer { positives in
            var problem = mb_supcon_problem(
                s: s.baseAddress!, mask: m.baseAddress!, c: c.baseAddress!, top: top.baseAddress!, sum: sum.baseAddress!,
                positive_sum: positiveSum.baseAddress!, positives: positives.baseAddress!, b: b, inv_t: invT,
                wide: combo.wide, exp_isa: combo.exp)
            // In two calls, as two workers would.
            mb_supcon_rows(&problem, 0, b / 3, &scratch)
            mb_supcon_rows(&problem, b / 3, b, &scratch)
        }
        }
        }
        }
        }
        }
        }
        let tag = "\(label), isa \(combo)"
        #expect(c.map(\.bitPattern) == wantC.map(\.bitPattern), "c, \(tag)")
        for i in 0..<b {
            guard let w = want[i] else {
                #expect(positives[i] == 0, "row \(i), \(tag)")
                continue
            }
            #expect(Int(positives[i]) == w.positives, "row \(i), \(tag)")
            #expect(positiveSum[i].bitPattern == w.positiveSum.bitPattern, "positive sum, row \(i), \(tag)")
            #expect(top[i].bitPattern == w.top.bitPattern, "top, row \(i), \(tag)")
            #expect(sum[i].bitPattern == w.sum.bitPattern, "sum, row \(i), \(tag): \(sum[i]) vs \(w.sum)")
        }
    }
}

@Test func supconRowKernelIsBitwiseTheFormerSwiftPassForEveryInstructionSet() {
    var g = SplitMix64(seed: 61)
    for b in [1, 2, 7, 9, 33, 130] {
        let (s, m) = awkwardProblem(b, &g)
        for invT in [10.0, 1.0, .infinity] {
            checkSupCon(s, m, b: b, invT: invT, label: "awkward b \(b), 1/τ \(invT)")
        }
    }
    for (b, classes) in [(128, 4), (256, 4), (100, 7)] {
        let (s, m) = cosineProblem(b, classes: classes, &g)
        checkSupCon(s, m, b: b, invT: 10, label: "cosine b \(b)")
    }
}

@Test func pairMaskKernelMatchesLabelComparisonsForEveryInstructionSet() {
    var g = SplitMix64(seed: 67)
    for b in [1, 2, 9, 31, 64, 300] {
        let labels = (0..<b).map { _ in [Int32.min, -1, 0, 3, Int32.max][g.nextInt(below: 5)] }
        var want = [UInt8](repeating: 0, count: b * b), wantPositives: [Int64] = [0, 0]
        let split = b / 3
        for i in 0..<b {
            for j in 0..<b where i != j {
                want[i * b + j] = labels[i] == labels[j] ? _PairMask.positive : _PairMask.negative
                if labels[i] == labels[j] { wantPositives[i < split ? 0 : 1] += 1 }
            }
        }
        for wide in WideISA.available {
            var mask = [UInt8](repeating: 7, count: b * b)
            let first = mb_pair_mask_rows(wide, labels, b, 0, split, &mask)
            let second = mb_pair_mask_rows(wide, labels, b, split, b, &mask)
            #expect(mask == want, "b \(b), isa \(wide)")
            #expect([first, second] == wantPositives, "b \(b), isa \(wide)")
        }
    }
}
