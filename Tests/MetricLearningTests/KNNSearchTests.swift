import Testing
@testable import MetricLearning

/// Naive O(N²) reference: every other item sorted by (squared distance in Double, index).
private func naiveNeighbors(_ x: Matrix, k: Int) -> [[Int32]] {
    (0..<x.rows).map { q in
        let others = (0..<x.rows).filter { $0 != q }.map { j -> (Double, Int) in
            var s = 0.0
            for t in 0..<x.cols {
                let v = Double(x[q, t]) - Double(x[j, t])
                s += v * v
            }
            return (s, j)
        }
        return others.sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }.prefix(k).map { Int32($0.1) }
    }
}

@Test(arguments: [1, 5, 16, 64, 1000])
func blockedSearchMatchesBruteForceWithExactTies(blockSize: Int) {
    // Small integer coordinates: every float operation is exact, so ties are
    // real, and duplicated points make exact-zero distances.
    var rng = SplitMix64(seed: 11)
    let n = 97, d = 5
    var rows: [[Float]] = (0..<n).map { _ in (0..<d).map { _ in Float(rng.nextInt(below: 5) - 2) } }
    rows[40] = rows[3]
    rows[41] = rows[3]
    rows[90] = rows[7]
    let x = Matrix(rows)
    let k = 30
    let blocked = NearestNeighbors.search(x, k: k, blockSize: blockSize, context: ComputeContext(workers: 2))
    let naive = naiveNeighbors(x, k: k)
    for q in 0..<n {
        #expect(blocked.neighbors(of: q) == naive[q], "query \(q)")
    }
    #expect(blocked.distance(3, 0) == 0 && blocked.distance(40, 1) == 0)
}

@Test func blockedSearchMatchesBruteForceOnRandomData() {
    var rng = SplitMix64(seed: 5)
    let n = 203, d = 16
    let x = Matrix(rows: n, cols: d, storage: (0..<(n * d)).map { _ in Float(rng.nextNormal()) })
    let k = 12
    let naive = naiveNeighbors(x, k: k)
    let reference = NearestNeighbors.search(x, k: k, blockSize: 1000, context: ComputeContext(workers: 2))
    for blockSize in [3, 32, 100] {
        let blocked = NearestNeighbors.search(x, k: k, blockSize: blockSize, context: ComputeContext(workers: 2))
        for q in 0..<n {
            #expect(blocked.neighbors(of: q) == reference.neighbors(of: q), "block size \(blockSize)")
            // OpenBLAS's edge kernels may sum a dot product in another order: last-ulp differences only.
            #expect(zip(blocked.distances(of: q), reference.distances(of: q)).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, $1) })
        }
    }
    var mismatches = 0
    for q in 0..<n where reference.neighbors(of: q) != naive[q] { mismatches += 1 }
    // Float vs Double rounding can only swap near-equal neighbours; random normals have none here.
    #expect(mismatches == 0)
    for q in 0..<n {
        let ds = reference.distances(of: q)
        #expect(zip(ds, ds.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(!reference.neighbors(of: q).contains(Int32(q)))
    }
}

@Test func searchWithAllOtherItems() {
    let x = Matrix([[0], [1], [3], [6]])
    let nn = NearestNeighbors.search(x, k: 3, blockSize: 2, context: ComputeContext(workers: 2))
    #expect(nn.neighbors(of: 0) == [1, 2, 3])
    #expect(nn.neighbors(of: 2) == [1, 0, 3])
    #expect(nn.distances(of: 2) == [4, 9, 9])
}

@Test func largeKCutsCandidateBuffersRepeatedly() {
    // k = 40 with 300 items: every buffer is cut several times; ties from duplicated rows.
    var rng = SplitMix64(seed: 21)
    let n = 300
    var rows: [[Float]] = (0..<n).map { _ in (0..<3).map { _ in Float(rng.nextInt(below: 7) - 3) } }
    for i in stride(from: 0, to: 60, by: 2) { rows[i + 1] = rows[i] }
    let x = Matrix(rows)
    let naive = naiveNeighbors(x, k: 40)
    for blockSize in [9, 128, 300] {
        let blocked = NearestNeighbors.search(x, k: 40, blockSize: blockSize, context: ComputeContext(workers: 2))
        #expect((0..<n).allSatisfy { blocked.neighbors(of: $0) == naive[$0] }, "block size \(blockSize)")
    }
}

@Test func sampledBoundsKeepTheSearchExact() {
    var rng = SplitMix64(seed: 8)
    let n = 600
    let x = Matrix(rows: n, cols: 4, storage: (0..<(n * 4)).map { _ in Float(rng.nextInt(below: 9) - 4) })
    let naive = naiveNeighbors(x, k: 20)
    let nn = NearestNeighbors._search(PairDistanceSweep(x, blockSize: 50, context: .serial), k: 20, sampleSize: 16) { _, _ in }
    #expect((0..<n).allSatisfy { nn.neighbors(of: $0) == naive[$0] })
}

@Test func tooTightSampledBoundsAreRedoneExhaustively() {
    // The strided sample (every 37th item, 16 of them) sits at 0, everything else
    // at 100 + i (integers: exact float arithmetic): for a sampled query the bound is 0, which only the 15 other
    // sampled items meet — fewer than k = 20, so it must be searched again.
    let n = 600
    let values: [Float] = (0..<n).map { (i: Int) -> Float in
        let sampled = i % 37 == 0 && i / 37 < 16
        return sampled ? 0 : 100 + Float(i)
    }
    let x = Matrix(rows: n, cols: 1, storage: values)
    let naive = naiveNeighbors(x, k: 20)
    let nn = NearestNeighbors._search(PairDistanceSweep(x, blockSize: 64, context: .serial), k: 20, sampleSize: 16) { _, _ in }
    #expect(nn.redoneQueries == 16)
    #expect((0..<n).allSatisfy { nn.neighbors(of: $0) == naive[$0] })
}

@Test func concurrentWorkersGiveTheSameNeighboursAndMetricsAsOne() throws {
    // Small integer coordinates (exact arithmetic, real ties) and a small block:
    // 13 blocks, 91 tiles taken by the workers in a timing-dependent order.
    var rng = SplitMix64(seed: 21)
    let n = 800
    let x = Matrix(rows: n, cols: 6, storage: (0..<(n * 6)).map { _ in Float(rng.nextInt(below: 7) - 3) })
    let labels = (0..<n).map { Int32($0 % 40) }
    var lists: [[Int32]] = [], results: [EvaluationResult] = []
    for threads in [1, 2, 3] {
        let context = ComputeContext(workers: threads)
        let nn = NearestNeighbors._search(PairDistanceSweep(x, blockSize: 64, context: context), k: 25, sampleSize: 16) { _, _ in }
        lists.append((0..<n).flatMap { nn.neighbors(of: $0) })
        for limit in [500, 8000] {  // histogram and exact VAL@FAR
            results.append(try evaluateEmbeddings(
                x, labels: labels, options: EvaluationOptions(recallK: [1, 10], fars: [0.01], blockSize: 64, exactVerificationLimit: limit, context: context)))
        }
    }
    let naive = naiveNeighbors(x, k: 25)
    #expect(lists[0] == naive.flatMap { $0 })
    #expect(lists[1] == lists[0] && lists[2] == lists[0])
    for (i, r) in results.enumerated().dropFirst(2) {
        let one = results[i % 2]
        #expect(r.named.map(\.name) == one.named.map(\.name) && r.named.map(\.value) == one.named.map(\.value))
        #expect(r.verificationIsExact == one.verificationIsExact)
        #expect(r.roc.map(\.val) == one.roc.map(\.val))
    }
    #expect(!results[0].verificationIsExact && results[1].verificationIsExact)
}

@Test(arguments: [1, 2])
func sampledBoundsWithRadixCutsMatchBruteForceWithTies(workers: Int) {
    // n ≥ 8 × sample size, so the sampled bounds and the radix-select cuts run
    // (k = 90: a list of 122 is cut every 32 appends); integer coordinates in a
    // small cube give exact arithmetic and many equal distances, so every cut
    // and the final sort must break ties by index.
    var rng = SplitMix64(seed: 31)
    let n = 900
    var rows: [[Float]] = (0..<n).map { _ in (0..<3).map { _ in Float(rng.nextInt(below: 6) - 3) } }
    for i in stride(from: 0, to: 100, by: 4) { rows[i + 1] = rows[i] }
    let x = Matrix(rows)
    let naive = naiveNeighbors(x, k: 90)
    for blockSize in [64, 1024] {
        let sweep = PairDistanceSweep(x, blockSize: blockSize, context: ComputeContext(workers: workers))
        let nn = NearestNeighbors._search(sweep, k: 90, sampleSize: 64) { _, _ in }
        #expect((0..<n).allSatisfy { nn.neighbors(of: $0) == naive[$0] }, "block size \(blockSize)")
        // Without sampled bounds (thresholds from +∞, other cuts): the same keys, bit for bit.
        let unsampled = NearestNeighbors._search(sweep, k: 90, sampleSize: 0) { _, _ in }
        #expect(nn.keys == unsampled.keys)
        for q in [0, 1, 450] {
            let expected = naive[q].map { j in (0..<3).reduce(Float(0)) { $0 + (x[q, $1] - x[Int(j), $1]) * (x[q, $1] - x[Int(j), $1]) } }
            #expect(nn.distances(of: q) == expected)
        }
    }
}

/// The tile scan's C filter (AVX2, AVX-512F, scalar C) against the Swift loop:
/// the same keys, bit for bit, with ties (integer coordinates, duplicates),
/// with and without sampled bounds, small and large k (k = 90 cuts a list of
/// 122 every 32 appends, also in the middle of a row's hits), block sizes that
/// leave 8- and 16-lane tails, and two workers.
@Test(arguments: [1, 2] as [Int32])
func everyTileScanFilterKeepsTheSameNeighbours(isa: Int32) {
    guard isa <= WideISA.available.last! else { return }  // a set this CPU lacks
    var rng = SplitMix64(seed: 47)
    let n = 1100
    var tied: [[Float]] = (0..<n).map { _ in (0..<3).map { _ in Float(rng.nextInt(below: 6) - 3) } }
    for i in stride(from: 0, to: 120, by: 4) { tied[i + 1] = tied[i] }
    let random = Matrix(rows: n, cols: 24, storage: (0..<(n * 24)).map { _ in Float(rng.nextNormal()) })
    for x in [Matrix(tied), random] {
        for (blockSize, k, sample) in [(64, 90, 64), (1024, 90, 64), (100, 7, 0), (37, 20, 128)] {
            let sweep = PairDistanceSweep(x, blockSize: blockSize, context: ComputeContext(workers: 2))
            let swift = NearestNeighbors._search(sweep, k: k, sampleSize: sample, isa: 0) { _, _ in }
            let wide = NearestNeighbors._search(sweep, k: k, sampleSize: sample, isa: isa) { _, _ in }
            let differing = zip(wide.keys, swift.keys).filter { $0 != $1 }.count
            #expect(wide.keys.count == swift.keys.count && differing == 0, "block \(blockSize), k \(k), sample \(sample)")
        }
    }
}
