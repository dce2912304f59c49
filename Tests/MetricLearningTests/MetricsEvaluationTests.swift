import Foundation
import Testing
@testable import MetricLearning

private struct MetricsFixture: Decodable {
    let embeddings: [[Float]]
    let labels: [Int32]
    let assignments: [Int32]
    let expected: [String: Double]
}

private func loadFixture() throws -> MetricsFixture {
    let url = try #require(Bundle.module.url(forResource: "metrics", withExtension: "json", subdirectory: "Fixtures"))
    return try JSONDecoder().decode(MetricsFixture.self, from: Data(contentsOf: url))
}

private func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-4) -> Bool { abs(a - b) <= tolerance }

@Test func fixtureMatchesPyTorchMetricLearningAndScikitLearn() throws {
    let fixture = try loadFixture()
    let options = EvaluationOptions(recallK: [1, 2, 4, 8], fars: [0.01], assignments: fixture.assignments, blockSize: 7)
    let result = try evaluateEmbeddings(Matrix(fixture.embeddings), labels: fixture.labels, options: options)
    let named = Dictionary(uniqueKeysWithValues: result.named.map { ($0.name, $0.value) })
    #expect(Set(named.keys) == Set(fixture.expected.keys))
    for (name, expected) in fixture.expected {
        let value = try #require(named[name], "missing \(name)")
        #expect(close(value, expected), "\(name): \(value) vs \(expected)")
    }
    #expect(result.verificationIsExact)
}

@Test func fixtureValAtFarFromHistogramIsWithinTolerance() throws {
    let fixture = try loadFixture()
    let options = EvaluationOptions(fars: [0.01], clustering: false, exactVerificationLimit: 0)
    let result = try evaluateEmbeddings(Matrix(fixture.embeddings), labels: fixture.labels, options: options)
    #expect(!result.verificationIsExact)
    #expect(abs(result[.valAtFAR(0.01)]! - fixture.expected["val@far=0.01"]!) <= 1e-3)
}

@Test func perfectEmbeddingsScoreOneEverywhere() throws {
    // Four tight, far-apart classes of 5 items.
    var rows: [[Float]] = []
    var labels: [Int32] = []
    for c in 0..<4 {
        for i in 0..<5 {
            rows.append([Float(c) * 100 + Float(i) * 0.01, Float(c % 2) * 50, 0])
            labels.append(Int32(c))
        }
    }
    let result = try evaluateEmbeddings(Matrix(rows), labels: labels, options: .init(recallK: [1, 2, 4], fars: [1e-3, 0.5]))
    for (name, value) in result.named {
        #expect(close(value, 1), "\(name) = \(value)")
    }
    #expect(result.roc.last!.val == 1)
}

/// Six points on a line, classes A = {0, 1, 3.5}, B = {2, 10, 11.5}; every R = 2.
///
/// | query | top-2 neighbours (class) | AP@R            | R-precision |
/// |-------|--------------------------|-----------------|-------------|
/// | 0 (A) | 1 (A), 2 (B)             | (1/2)(1) = 0.5  | 0.5         |
/// | 1 (A) | 0 (A), 2 (B)             | 0.5             | 0.5         |
/// | 2 (B) | 1 (A), 3.5 (A)           | 0               | 0           |
/// | 3.5(A)| 2 (B), 1 (A)             | (1/2)(1/2)=0.25 | 0.5         |
/// | 10 (B)| 11.5 (B), 3.5 (A)        | 0.5             | 0.5         |
/// | 11.5(B)| 10 (B), 3.5 (A)         | 0.5             | 0.5         |
///
/// MAP@R = 2.25 / 6 = 0.375; R-precision = 2.5 / 6 = 5/12; precision@1 = 4/6.
@Test func handComputedMAPAtRBelowOne() throws {
    let x: [[Float]] = [[0], [1], [2], [3.5], [10], [11.5]]
    let labels: [Int32] = [0, 0, 1, 0, 1, 1]
    let result = try evaluateEmbeddings(Matrix(x), labels: labels, options: .init(recallK: [1, 2], clustering: false))
    #expect(close(result[.mapAtR]!, 0.375, 1e-12))
    #expect(close(result[.rPrecision]!, 5.0 / 12, 1e-12))
    #expect(close(result[.precisionAt1]!, 4.0 / 6, 1e-12))
    #expect(close(result[.recall(1)]!, 4.0 / 6, 1e-12))
    #expect(close(result[.recall(2)]!, 5.0 / 6, 1e-12))
}

@Test func singletonClassesAreExcludedFromRPrecisionButCountForRecall() throws {
    let x: [[Float]] = [[0], [0.1], [10], [10.1], [50]]
    let labels: [Int32] = [0, 0, 1, 1, 2]
    let result = try evaluateEmbeddings(Matrix(x), labels: labels, options: .init(recallK: [1], clustering: false))
    #expect(result.queriesWithPositives == 4)
    #expect(close(result[.mapAtR]!, 1, 1e-12))
    #expect(close(result[.precisionAt1]!, 1, 1e-12))
    #expect(close(result[.recall(1)]!, 0.8, 1e-12))
}

/// Manning, Raghavan & Schütze, *Introduction to Information Retrieval*, §16.3 (figure 16.4):
/// cluster 1 = 5 x + 1 o, cluster 2 = 1 x + 4 o + 1 ◇, cluster 3 = 2 x + 3 ◇.
/// TP = C(5,2) + C(4,2) + C(3,2) + C(2,2) = 10 + 6 + 3 + 1 = 20;
/// TP + FP = C(6,2) + C(6,2) + C(5,2) = 40; TP + FN = C(8,2) + C(5,2) + C(4,2) = 44;
/// P = 0.5, R = 20/44 ≈ 0.455, F1 = 2PR/(P+R) = 40/84 ≈ 0.476; NMI ≈ 0.36.
@Test func informationRetrievalBookExample() {
    let x: Int32 = 0, o: Int32 = 1, diamond: Int32 = 2
    let labels: [Int32] = [x, x, x, x, x, o, x, o, o, o, o, diamond, x, x, diamond, diamond, diamond]
    let clusters: [Int32] = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    let m = ClusteringMetrics(assignments: clusters, labels: labels)
    #expect(m.truePositives == 20 && m.falsePositives == 20 && m.falseNegatives == 24)
    #expect(close(m.f1, 40.0 / 84, 1e-12))
    #expect(close(m.nmi, 0.36, 0.005))
    // I = Σ (n_kc/N) log(N n_kc/(n_k n_c)), H's natural log, arithmetic normalisation:
    #expect(close(m.nmi, 0.36456177185718985, 1e-12))
}

@Test func identicalPartitionsHaveNMIAndF1One() {
    let labels: [Int32] = [3, 3, 1, 1, 1, 7]
    let clusters: [Int32] = [0, 0, 5, 5, 5, 2]
    let m = ClusteringMetrics(assignments: clusters, labels: labels)
    #expect(close(m.nmi, 1, 1e-12))
    #expect(close(m.f1, 1, 1e-12))
}

@Test func badInputIsRejectedWithAClearError() {
    let x = Matrix([[0, 1], [1, 0], [2, 2], [3, 3]])
    let labels: [Int32] = [0, 0, 1, 1]
    #expect(throws: EvaluationError.countMismatch(embeddings: 4, labels: 3)) {
        try evaluateEmbeddings(x, labels: [0, 0, 1])
    }
    var bad = x
    bad[2, 1] = .nan
    #expect(throws: EvaluationError.nonFinite(row: 2, column: 1)) {
        try evaluateEmbeddings(bad, labels: labels, options: .init(recallK: [1]))
    }
    bad[2, 1] = .infinity
    #expect(throws: EvaluationError.nonFinite(row: 2, column: 1)) {
        try evaluateEmbeddings(bad, labels: labels, options: .init(recallK: [1]))
    }
    #expect(throws: EvaluationError.invalidRecallK(4, items: 4)) {
        try evaluateEmbeddings(x, labels: labels, options: .init(recallK: [1, 4]))
    }
    #expect(throws: EvaluationError.invalidRecallK(0, items: 4)) {
        try evaluateEmbeddings(x, labels: labels, options: .init(recallK: [0]))
    }
    #expect(throws: EvaluationError.tooFewClasses(1)) {
        try evaluateEmbeddings(x, labels: [5, 5, 5, 5], options: .init(recallK: [1]))
    }
    #expect(throws: EvaluationError.assignmentCountMismatch(assignments: 2, items: 4)) {
        try evaluateEmbeddings(x, labels: labels, options: .init(recallK: [1], assignments: [0, 1]))
    }
    #expect(throws: EvaluationError.invalidFar(0)) {
        try evaluateEmbeddings(x, labels: labels, options: .init(recallK: [1], fars: [0]))
    }
    #expect(throws: EvaluationError.tooFewItems(1)) { try evaluateEmbeddings(Matrix([[1]]), labels: [0]) }
}

@Test func metricNamesAreCanonicalised() throws {
    #expect(try MetricID(parsing: "val@far=1e-3").name == "val@far=0.001")
    #expect(try MetricID(parsing: "val@far=0.01").name == "val@far=0.01")
    #expect(try MetricID(parsing: "val@far=1e-4").name == "val@far=0.0001")
    #expect(try MetricID(parsing: "VAL@FAR=2.5e-5").name == "val@far=0.000025")
    #expect(try MetricID(parsing: "val@far=1").name == "val@far=1")
    #expect(try MetricID(parsing: "recall@10").name == "recall@10")
    for name in ["precision@1", "r-precision", "map@r", "nmi", "f1"] {
        #expect(try MetricID(parsing: name).name == name)
    }
    for bad in ["recall@0", "recall@x", "val@far=0", "val@far=2", "accuracy", "precision@2"] {
        #expect(throws: EvaluationError.self) { try MetricID(parsing: bad).name }
    }
    for metric: MetricID in [.recall(4), .precisionAt1, .rPrecision, .mapAtR, .nmi, .f1, .valAtFAR(1e-3)] {
        #expect(try MetricID(parsing: metric.name) == metric, "\(metric) spells and parses back")
        #expect(!metric.title.isEmpty && metric.higherIsBetter)
    }
    #expect(MetricID.plainDecimal(0.1) == "0.1")
    #expect(MetricID.plainDecimal(1e-7) == "0.0000001")
}

@Test func rocIsMonotoneAndBounded() throws {
    var rng = SplitMix64(seed: 3)
    let n = 120
    let x = Matrix(rows: n, cols: 4, storage: (0..<(n * 4)).map { _ in Float(rng.nextNormal()) })
    let labels = (0..<n).map { Int32($0 % 6) }
    let result = try evaluateEmbeddings(x, labels: labels, options: .init(clustering: false))
    #expect(result.roc.count <= 200 && result.roc.count > 10)
    for (a, b) in zip(result.roc, result.roc.dropFirst()) {
        #expect(a.far <= b.far && a.val <= b.val)
    }
    #expect(result.roc.last!.far == 1 && result.roc.last!.val == 1)
}

/// The result holds what the metric families report, under their ids and in report order; no metric
/// has a field of its own, so a new metric needs only its `MetricID` case and its family's computation.
@Test func theResultIsTheFamiliesValuesUnderTheirIDs() throws {
    var rng = SplitMix64(seed: 5)
    let n = 60
    let x = Matrix(rows: n, cols: 3, storage: (0..<(n * 3)).map { _ in Float(rng.nextNormal()) })
    let labels = (0..<n).map { Int32($0 % 4) }
    let result = try evaluateEmbeddings(x, labels: labels, options: .init(recallK: [1, 2], fars: [1e-2, 1e-1]))
    #expect(result.named.map(\.name) == ["recall@1", "recall@2", "precision@1", "r-precision", "map@r", "nmi", "f1",
                                         "val@far=0.01", "val@far=0.1"])
    let neighbors = NearestNeighbors.search(x, k: n - 1, context: .serial)
    let retrieval = RetrievalMetrics(neighbors: neighbors, labels: labels, recallK: [1, 2])
    for (metric, value) in retrieval.values { #expect(result[metric] == value, "\(metric)") }
    #expect(result[.recall(8)] == nil)
    let unclustered = try evaluateEmbeddings(x, labels: labels, options: .init(recallK: [1], clustering: false))
    #expect(unclustered[.nmi] == nil && unclustered[.f1] == nil && unclustered[.mapAtR] == result[.mapAtR])
    // Plotted against the swept axes: recall@1 (the others have the recall@K plot), map@r, nmi, f1, val@far.
    let plotted = [MetricID.recall(1), .recall(2), .precisionAt1, .rPrecision, .mapAtR, .nmi, .f1, .valAtFAR(1e-3)]
        .filter(\.isPlottedAgainstAxes).map(\.name)
    #expect(plotted == ["recall@1", "map@r", "nmi", "f1", "val@far=0.001"])
}
