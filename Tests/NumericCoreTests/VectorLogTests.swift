import CKernels
import Foundation
import NumericCore
import Testing

/// The vector paths of mb_log on this machine (1: AVX2+FMA, 2: AVX-512F), ignoring METRICBENCH_SIMD.
private let logVectorSets: [Int32] = {
    let best = mb_log_isa()
    return best > 0 ? Array(1...best) : []
}()

/// How many results of `VectorLog.log` with `isa` differ in bits from the scalar `log`, and the first few.
private func logMismatches(_ xs: [Double], isa: Int32) -> (count: Int, examples: [String]) {
    var ys = [Double](repeating: 0, count: xs.count)
    xs.withUnsafeBufferPointer { x in
        ys.withUnsafeMutableBufferPointer { y in
            VectorLog.log(x.baseAddress!, into: y.baseAddress!, count: xs.count, isa: isa)
        }
    }
    var count = 0
    var examples: [String] = []
    for (x, y) in zip(xs, ys) where Foundation.log(x).bitPattern != y.bitPattern {
        count += 1
        if examples.count < 5 { examples.append("log(\(x)) = \(y), scalar \(Foundation.log(x))") }
    }
    return (count, examples)
}

@Test func vectorLogIsOnWhereGlibcUsesItsFMAVersion() throws {
    #if arch(x86_64) && os(Linux)
    let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
    let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
    // glibc 2.28+ picks __log_fma on these CPUs; the self-check must then accept the vector path.
    if flags.contains("avx2") && flags.contains("fma") {
        #expect(mb_log_isa() >= 1)
        if flags.contains("avx512f") { #expect(mb_log_isa() == 2) }
    }
    #else
    #expect(mb_log_isa() == 0)
    #endif
}

@Test func vectorLogEqualsScalarLogOnTenMillionInputs() {
    var rng = SplitMix64(seed: 23)
    var xs: [Double] = []
    xs.reserveCapacity(10_000_000)
    // The losses' arguments: r + tiny in (0, 1] and sums ≥ 1; the near-1 polynomial's range
    // [0x1.ep-1, 0x1.09p0) and around it; every binade of the positive normals.
    for _ in 0..<3_000_000 { xs.append(rng.nextUniform()) }
    for _ in 0..<3_000_000 { xs.append(0.9 + 0.2 * rng.nextUniform()) }
    for _ in 0..<2_000_000 { xs.append(1 + rng.nextUniform() * 1000) }
    for _ in 0..<2_000_000 { xs.append(Foundation.exp2(rng.nextUniform() * 2046 - 1022)) }
    for isa in logVectorSets {
        let (count, examples) = logMismatches(xs, isa: isa)
        #expect(count == 0, "isa \(isa): \(count) mismatches, e.g. \(examples)")
    }
}

@Test func vectorLogEqualsScalarLogOnRawBitPatternsAndSubnormals() {
    var rng = SplitMix64(seed: 24)
    var xs: [Double] = []
    // Any 64 bits: negatives, NaN payloads, infinities, subnormals, huge values.
    for _ in 0..<1_000_000 { xs.append(Double(bitPattern: rng.next())) }
    // Subnormals of every size (glibc rescales them; the vector path calls the scalar log) and near 1 ulp by ulp.
    for _ in 0..<200_000 { xs.append(Double(bitPattern: rng.next() >> 12 | 1)) }
    for k in -100_000...100_000 { xs.append(Double(bitPattern: UInt64(bitPattern: 0x3ff0_0000_0000_0000 + Int64(k)))) }
    for isa in logVectorSets {
        let (count, examples) = logMismatches(xs, isa: isa)
        #expect(count == 0, "isa \(isa): \(count) mismatches, e.g. \(examples)")
    }
}

@Test func vectorLogEqualsScalarLogAtTheEdges() {
    var xs: [Double] = [
        0, -0.0, 1, -1, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
        Double.leastNormalMagnitude.nextDown, .infinity, -.infinity, .nan, -.nan, .signalingNaN,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 2, 0.5, M_E, 10,
    ]
    // The near-1 range's ends (0x1.ep-1, 0x1.09p0), the table's split at 0x1.6p-1 and every table
    // subinterval's start (z = 0x1.6p-1 + i/128 · 2^-1 … across two binades), with neighbours.
    var edges: [Double] = [0x1.ep-1, 0x1.09p0, 0x1.6p-1, 0x1.6p0]
    for i in 0..<256 {
        edges.append(Double(bitPattern: 0x3fe6_0000_0000_0000 + UInt64(i) << 45))
    }
    for edge in edges {
        var x = edge
        for _ in 0..<3 { x = x.nextDown }
        for _ in 0..<7 {
            xs.append(x)
            x = x.nextUp
        }
    }
    for isa in logVectorSets {
        // Every length 0…40 (the 4- and 8-lane bodies and the scalar tails) from every offset.
        for start in 0..<9 {
            for n in 0...40 where start + n <= xs.count {
                let (count, examples) = logMismatches(Array(xs[start..<(start + n)]), isa: isa)
                #expect(count == 0, "isa \(isa), \(n) from \(start): \(examples)")
            }
        }
        let (count, examples) = logMismatches(xs, isa: isa)
        #expect(count == 0, "isa \(isa): \(count) mismatches, e.g. \(examples)")
    }
}

@Test func vectorLogWorksInPlace() {
    var rng = SplitMix64(seed: 25)
    // Slow lanes (≤ 0, subnormal, inf, NaN) among main-path and near-1 lanes, in place.
    let original = (0..<1003).map { i -> Double in
        switch i % 8 {
        case 1: return -rng.nextUniform() * 10
        case 3: return Double(bitPattern: rng.next() >> 13)
        case 5: return 0.95 + 0.1 * rng.nextUniform()
        case 7 where i % 16 == 7: return .infinity
        default: return rng.nextUniform() * 100
        }
    }
    let want = original.map { Foundation.log($0).bitPattern }
    for isa in [Int32(0)] + logVectorSets {
        var xs = original
        xs.withUnsafeMutableBufferPointer { x in
            VectorLog.log(x.baseAddress!, into: x.baseAddress!, count: x.count, isa: isa)
        }
        #expect(xs.map(\.bitPattern) == want, "isa \(isa)")
    }
}
