import ArgumentParser
import Foundation
import MetricLearning

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Every retrieval, clustering and verification metric on any embeddings.",
        discussion: """
            The items are queries and gallery at once; each query is excluded from its own \
            neighbours (exact euclidean kNN by blocked GEMM). Metrics: recall@K, precision@1, \
            r-precision, map@r, nmi, f1 (k-means with as many clusters as labels, or --assignments), \
            val@far=F (squared euclidean distance over all unordered pairs).

            A class with a single item is allowed: its queries have R = 0, so they are left out of \
            precision@1, r-precision and map@r, and count as misses for recall@K. Errors (exit \
            status 2): row/label count mismatch, NaN or infinite values, K ≥ number of items, fewer \
            than 2 classes, assignment count mismatch.
            """)

    @Option(help: "Embeddings, a float .npy array (rows × features).")
    var embeddings: String

    @Option(help: "Labels, an integer .npy vector, one per row.")
    var labels: String

    @Option(name: .customLong("recall-k"), help: "Comma-separated K values of recall@K.")
    var recallK: String = "1,2,4,8"

    @Option(help: "Comma-separated FAR bounds of val@far=F, each in (0, 1].")
    var far: String = "1e-3"

    @Option(help: "Cluster ids (integer .npy vector, one per row) to score with nmi and f1 instead of k-means.")
    var assignments: String?

    @Option(help: "Threads (the metrics do not depend on them).")
    var threads: Int = 2

    @Option(help: "Seed of the k-means++ seeding.")
    var seed: UInt64 = 0

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() throws {
        try reportingErrors {
            var seenK = Set<Int>(), seenFar = Set<Double>()
            let ks = try parseList(recallK, option: "--recall-k") { Int($0) }.filter { seenK.insert($0).inserted }
            let fars = try parseList(far, option: "--far") { Double($0) }.filter { seenFar.insert($0).inserted }
            let x = try NPY.readMatrix(embeddings)
            let y = try NPY.readLabels(labels)
            let a = try assignments.map { try NPY.readLabels($0) }
            guard threads >= 1 else { throw UsageFailure("--threads must be at least 1, got \(threads)") }
            let options = EvaluationOptions(recallK: ks, fars: fars, seed: seed, assignments: a,
                                            context: ComputeContext(workers: threads))
            let result = try evaluateEmbeddings(x, labels: y, options: options)
            print(json ? jsonObject(result) : table(result))
        }
    }

    private func parseList<T>(_ text: String, option: String, _ parse: (String) -> T?) throws -> [T] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.isEmpty else { throw UsageFailure("\(option) needs at least one value") }
        return try items.map { item in
            guard let v = parse(item) else { throw UsageFailure("\(option): '\(item)' is not a number") }
            return v
        }
    }

    private func jsonObject(_ r: EvaluationResult) -> String {
        var fields = ["\"n\": \(r.n)"]
        fields += r.named.map { "\"\($0.name)\": \(jsonNumber($0.value))" }
        fields.append("\"seconds\": \(jsonNumber(r.seconds))")
        return "{" + fields.joined(separator: ", ") + "}"
    }

    private func jsonNumber(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }

    private func table(_ r: EvaluationResult) -> String {
        let rows = r.named
        let width = rows.map(\.name.count).max() ?? 0
        var lines = ["metric".padding(toLength: width, withPad: " ", startingAt: 0) + "   value"]
        for (name, value) in rows {
            lines.append(name.padding(toLength: width, withPad: " ", startingAt: 0) + "   " + String(format: "%.4f", value))
        }
        let excluded = r.n - r.queriesWithPositives
        lines.append("")
        lines.append("\(r.n) items, \(String(format: "%.2f", r.seconds)) s"
            + (excluded > 0 ? "; \(excluded) single-item-class queries left out of precision@1, r-precision, map@r" : "")
            + (r.verificationIsExact ? "" : "; val@far from a fine histogram (error < 1e-3)"))
        return lines.joined(separator: "\n")
    }
}
