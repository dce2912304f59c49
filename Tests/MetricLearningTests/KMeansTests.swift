import Testing
@testable import MetricLearning

private func separatedClusters(_ clusters: Int, perCluster: Int, dim: Int, seed: UInt64) -> (Matrix, [Int32]) {
    var rng = SplitMix64(seed: seed)
    let centres = (0..<clusters).map { _ in (0..<dim).map { _ in Float(rng.nextNormal() * 100) } }
    var rows: [[Float]] = []
    var labels: [Int32] = []
    for i in 0..<(clusters * perCluster) {
        let c = (i * 7) % clusters
        rows.append(centres[c].map { $0 + Float(rng.nextNormal() * 0.1) })
        labels.append(Int32(c))
    }
    return (Matrix(rows), labels)
}

@Test func kMeansRecoversWellSeparatedClustersExactly() {
    let (x, labels) = separatedClusters(8, perCluster: 25, dim: 6, seed: 2)
    for seed: UInt64 in [0, 1, 2] {
        let result = KMeans(clusters: 8, seed: seed, blockSize: 17).fit(x)
        let m = ClusteringMetrics(assignments: result.assignments, labels: labels)
        #expect(m.nmi > 1 - 1e-12 && m.f1 > 1 - 1e-12, "seed \(seed)")
        #expect(result.iterations <= 3)
    }
}

@Test func kMeansIsDeterministicPerSeed() {
    var rng = SplitMix64(seed: 9)
    let x = Matrix(rows: 300, cols: 5, storage: (0..<1500).map { _ in Float(rng.nextNormal()) })
    let a = KMeans(clusters: 7, seed: 4).fit(x)
    let b = KMeans(clusters: 7, seed: 4).fit(x)
    #expect(a.assignments == b.assignments)
    #expect(a.centroids == b.centroids)
    #expect(Set(a.assignments).count == 7)
}

@Test func kMeansRepairsEmptyClusters() {
    // Three distinct points for four clusters: one cluster must be repaired with a duplicate.
    let x = Matrix([[0, 0], [0, 0], [0, 0], [5, 5], [5, 5], [9, 0]])
    let result = KMeans(clusters: 4, seed: 1).fit(x)
    #expect(Set(result.assignments).count == 4)
}

@Test func evaluationRunsKMeansWhenNoAssignmentsAreGiven() throws {
    let (x, labels) = separatedClusters(5, perCluster: 10, dim: 4, seed: 7)
    let result = try evaluateEmbeddings(x, labels: labels, options: .init(seed: 3))
    #expect(close(result[.nmi]!, 1) && close(result[.f1]!, 1))
}

private func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 }

@Test func batchedSeedingIsDeterministicAndFindsSeparatedClusters() {
    let (x, labels) = separatedClusters(40, perCluster: 10, dim: 8, seed: 12)
    let a = KMeans(clusters: 40, seed: 5, seedingBatch: 4).fit(x)
    let b = KMeans(clusters: 40, seed: 5, seedingBatch: 4).fit(x)
    #expect(a.assignments == b.assignments)
    #expect(Set(a.assignments).count == 40)
    // Batched draws can put two centres in one cluster, which Lloyd cannot undo; most are still found.
    let m = ClusteringMetrics(assignments: a.assignments, labels: labels)
    #expect(m.nmi > 0.9)
}

@Test func assignmentMatchesBruteForceAcrossCentroidBlocksAndThreads() {
    // 125 distinct integer points (exact arithmetic) and 2300 centroids, many
    // of them equal: ties everywhere, across the 2048-centroid blocks too;
    // the nearest centroid with the lowest index must win.
    var rng = SplitMix64(seed: 17)
    let n = 3000, d = 3, k = 2300
    let x = Matrix(rows: n, cols: d, storage: (0..<(n * d)).map { _ in Float(rng.nextInt(below: 5) - 2) })
    let centroids = x.gatherRows((0..<k).map { _ in rng.nextInt(below: n) })
    var expected = [Int32](repeating: 0, count: n)
    for i in 0..<n {
        var best = Double.infinity
        for j in 0..<k {
            var s = 0.0
            for t in 0..<d { let v = Double(x[i, t]) - Double(centroids[j, t]); s += v * v }
            if s < best { best = s; expected[i] = Int32(j) }
        }
    }
    for threads in [1, 2] {
        var assignments = [Int32](repeating: -1, count: n), distance = [Float](repeating: 0, count: n)
        let changed = KMeans(clusters: k, blockSize: 128, context: ComputeContext(workers: threads)).assign(x, centroids, &assignments, &distance, force: true)
        #expect(changed == n)
        #expect(assignments == expected, "\(threads) thread(s)")
    }
}
