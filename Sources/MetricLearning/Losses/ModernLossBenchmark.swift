import NumericCore

/// The measured cost of one of the issue-15 losses at one batch shape.
///
/// Named by the loss's spec name until the loss registry gives these losses
/// `LossKind` cases; then the rows belong in `LossTiming`.
public struct ModernLossTiming: Equatable, Sendable {
    /// The loss's spec name, with `+multi-similarity` when its miner ran too.
    public var name: String
    public var batchSize: Int
    public var dimension: Int
    /// Classes in the batch (and proxy / class-weight rows).
    public var classes: Int
    /// Median wall time of one evaluation (mining, loss and every gradient), in seconds.
    public var medianSeconds: Double
}

/// Times the issue-15 losses on the seeded batches of `LossBenchmark`.
public enum ModernLossBenchmark {
    /// Measures every loss at each batch size: `B / samplesPerClass` classes
    /// of unit vectors in `dim` dimensions; proxies / class weights from each
    /// loss's `initialWeights`. Each loss is evaluated once to size its
    /// workspaces, then `repeats` times.
    public static func run(
        batchSizes: [Int] = [128, 512], dim: Int = 128, samplesPerClass: Int = 32, repeats: Int = 9, seed: UInt64 = 0,
        context: ComputeContext
    ) throws -> [ModernLossTiming] {
        precondition(repeats > 0 && dim > 0 && samplesPerClass >= 2, "bad benchmark parameters")
        var timings: [ModernLossTiming] = []
        for b in batchSizes {
            let (x, labels) = LossBenchmark.batch(size: b, dim: dim, samplesPerClass: samplesPerClass, seed: seed)
            let classes = Int(labels.max() ?? 0) + 1
            var g = Matrix(rows: b, cols: dim), wg = Matrix(rows: classes, cols: dim)
            var generator = SplitMix64.derived(seed: seed, stream: 15)
            let weights = ProxyAnchorLoss.initialWeights(classes: classes, dimension: dim, generator: &generator)
            func time(_ name: String, _ body: () throws -> Void) rethrows {
                try body()
                var seconds: [Double] = []
                for _ in 0..<repeats {
                    let start = MonotonicClock.now()
                    try body()
                    seconds.append(MonotonicClock.seconds(since: start))
                }
                seconds.sort()
                timings.append(ModernLossTiming(name: name, batchSize: b, dimension: dim, classes: classes,
                                                medianSeconds: seconds[seconds.count / 2]))
            }
            var ms = MultiSimilarityLoss(.init(), context: context), miner = MultiSimilarityMiner(.init(), context: context)
            var pairs = PairIndices()
            try time("multi-similarity") { _ = try ms.evaluate(embeddings: x, labels: labels, pairs: nil, gradient: &g) }
            try time("multi-similarity+multi-similarity") {
                miner.mine(embeddings: x, labels: labels, into: &pairs)
                _ = try ms.evaluate(embeddings: x, labels: labels, pairs: pairs, gradient: &g)
            }
            var margin = MarginLoss(.init(), context: context)
            try time("margin") { _ = try margin.evaluate(embeddings: x, labels: labels, triplets: nil, gradient: &g) }
            var ntxent = NTXentLoss(.init(), context: context)
            try time("ntxent") { _ = try ntxent.evaluate(embeddings: x, labels: labels, pairs: nil, gradient: &g) }
            var supcon = SupConLoss(.init(), context: context)
            try time("supcon") { _ = try supcon.evaluate(embeddings: x, labels: labels, pairs: nil, gradient: &g) }
            var circle = CircleLoss(.init(), context: context)
            try time("circle") { _ = try circle.evaluate(embeddings: x, labels: labels, pairs: nil, gradient: &g) }
            var nca = ProxyNCALoss(.init(), context: context)
            try time("proxy-nca") {
                _ = try nca.evaluate(embeddings: x, labels: labels, classIndex: labels, weights: weights, gradient: &g, weightGradient: &wg)
            }
            var anchor = ProxyAnchorLoss(.init(), context: context)
            try time("proxy-anchor") {
                _ = try anchor.evaluate(embeddings: x, labels: labels, classIndex: labels, weights: weights, gradient: &g, weightGradient: &wg)
            }
            var softmax = NormalizedSoftmaxLoss(.init(), context: context)
            try time("normalized-softmax") {
                _ = try softmax.evaluate(embeddings: x, labels: labels, classIndex: labels, weights: weights, gradient: &g, weightGradient: &wg)
            }
            var arcface = ArcFaceLoss(.init(), context: context)
            try time("arcface") {
                _ = try arcface.evaluate(embeddings: x, labels: labels, classIndex: labels, weights: weights, gradient: &g, weightGradient: &wg)
            }
            var cosface = CosFaceLoss(.init(), context: context)
            try time("cosface") {
                _ = try cosface.evaluate(embeddings: x, labels: labels, classIndex: labels, weights: weights, gradient: &g, weightGradient: &wg)
            }
        }
        return timings
    }
}
