import NumericCore

/// Evaluates embeddings of unseen classes with every DESIGN §6 metric: the
/// items are queries and gallery at once, each query excluded from its own
/// neighbours.
///
/// One symmetric blocked GEMM sweep gives the exact `k` nearest neighbours
/// (`k = max(max K, largest class − 1)`) and the pair distances for VAL@FAR;
/// `nmi` and `f1` score `options.assignments` or, without them, a seeded
/// k-means++ / Lloyd clustering with as many clusters as distinct labels.
///
/// A class with a single item is allowed: its queries have `R = 0`, are left
/// out of `precision@1`, `r-precision` and `map@r`, and count as misses for `recall@K`.
///
/// - Throws: ``EvaluationError`` for mismatched counts, non-finite values,
///   fewer than 2 items or 2 classes, `K ∉ [1, N)`, `F ∉ (0, 1]`.
/// - Complexity: N²·d/2 multiply-adds for the sweep (plus N·K·d per k-means
///   iteration); memory O(N·d + N·k + block²).
public func evaluateEmbeddings(
    _ embeddings: Matrix, labels: [Int32], options: EvaluationOptions = .init()
) throws -> EvaluationResult {
    let start = MonotonicClock.now()
    let n = embeddings.rows
    guard n == labels.count else { throw EvaluationError.countMismatch(embeddings: n, labels: labels.count) }
    guard n >= 2 else { throw EvaluationError.tooFewItems(n) }
    guard embeddings.cols > 0 else { throw EvaluationError.noFeatures }
    if let bad = embeddings.storage.firstIndex(where: { !$0.isFinite }) {
        throw EvaluationError.nonFinite(row: bad / embeddings.cols, column: bad % embeddings.cols)
    }
    let classes = Set(labels).count
    guard classes >= 2 else { throw EvaluationError.tooFewClasses(classes) }
    for k in options.recallK where k < 1 || k >= n { throw EvaluationError.invalidRecallK(k, items: n) }
    for f in options.fars where !(f > 0 && f <= 1) { throw EvaluationError.invalidFar(f) }
    if let a = options.assignments, a.count != n {
        throw EvaluationError.assignmentCountMismatch(assignments: a.count, items: n)
    }

    let largestClass = _classSizes(labels).max() ?? 1
    let k = max(options.recallK.max() ?? 1, largestClass - 1, 1)
    let sweep = PairDistanceSweep(embeddings, blockSize: options.blockSize, context: options.context)
    let verification = _VerificationAccumulator(labels: labels, exact: n <= options.exactVerificationLimit, workers: options.context.workers)
    let neighbors = NearestNeighbors._search(sweep, k: k, sampleSize: 2048) { verification.consume($0, worker: $1) }
    let retrieval = RetrievalMetrics(neighbors: neighbors, labels: labels, recallK: options.recallK)
    let verificationResult = verification.result(fars: options.fars)

    var clusteringResult: ClusteringMetrics?
    if options.clustering {
        let assignments = options.assignments
            ?? KMeans(clusters: classes, maxIterations: options.kMeansIterations, seed: options.seed, context: options.context)
                .fit(embeddings).assignments
        clusteringResult = ClusteringMetrics(assignments: assignments, labels: labels)
    }
    return EvaluationResult(
        n: n, values: retrieval.values + (clusteringResult?.values ?? []) + verificationResult.values,
        roc: verificationResult.roc,
        queriesWithPositives: retrieval.queriesWithPositives,
        verificationIsExact: verificationResult.isExact,
        seconds: MonotonicClock.seconds(since: start))
}
