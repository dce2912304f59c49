import ArgumentParser
import Foundation
import MetricLearning

/// `metricbench loss`: one loss value and its gradient for embeddings from any framework.
struct LossCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loss",
        abstract: "Evaluate one loss (and its gradient) on given embeddings and labels.",
        discussion: """
            Embeddings are used exactly as given (no normalisation). Losses: \(names(LossKind.self)); \
            mining: \(names(MiningKind.self)); distances: \(names(DistanceKind.self)); \
            reducers: \(names(ReducerKind.self)). Unset parameters take the defaults of DESIGN §3.
            """)

    @Option(help: "The loss: \(names(LossKind.self)).") var loss: String
    @Option(help: "The mining strategy: \(names(MiningKind.self)).") var mining: String = MiningKind.all.rawValue
    @Option(help: "Triplet margin (default 0.2; also the semi-hard window) or lifted margin α (default 1).") var margin: String?
    @Option(name: .customLong("pos-margin"), help: "Contrastive positive margin (default 0).") var posMargin: String?
    @Option(name: .customLong("neg-margin"), help: "Contrastive negative margin (default 1).") var negMargin: String?
    @Option(help: "Contrastive power, 1 or 2 (default 2).") var power: String?
    @Option(help: "Distance: \(names(DistanceKind.self)) (default: squared-euclidean for triplet, else euclidean).") var distance: String?
    @Option(help: "Reducer: \(names(ReducerKind.self)) (default mean).") var reducer: String?
    @Flag(help: "Soft-margin triplet loss, softplus(D_ap − D_an).") var soft = false
    @Option(help: "Seed of the random miners.") var seed: String = "0"
    @Option(help: "Embeddings, a float .npy of shape B × d.") var embeddings: String
    @Option(help: "Labels, an integer .npy of B values.") var labels: String
    @Option(name: .customLong("grad-out"), help: "Write dLoss/dEmbeddings here as a float32 .npy of shape B × d.") var gradOut: String?
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        try reportingErrors {
            if let gradOut { try OptionChecks.outputFile(gradOut, option: "--grad-out") }
            let configuration = try makeConfiguration()
            var evaluator = try makeBatchLoss(configuration)
            let x = try NPY.readMatrix(embeddings)
            let y = try NPY.readLabels(labels)
            guard y.count == x.rows else {
                throw UsageFailure("\(labels) has \(y.count) labels but \(embeddings) has \(x.rows) rows; give one label per embedding")
            }
            guard x.isFinite else { throw UsageFailure("\(embeddings): the embeddings contain NaN or infinite values") }
            var gradient = Matrix(rows: x.rows, cols: x.cols)
            let start = MonotonicClock.now()
            let result = try evaluator.evaluate(embeddings: x, labels: y, gradient: &gradient)
            let seconds = MonotonicClock.seconds(since: start)
            guard result.loss.isFinite, gradient.isFinite else {
                throw UsageFailure("the loss or its gradient is not finite on these embeddings")
            }
            if let gradOut { try NPY.write(gradient, to: gradOut) }
            if json {
                let fields = [
                    "\"loss\": \(result.loss)", "\"tuples\": \(result.tuples)",
                    "\"active_fraction\": \(result.activeFraction)", "\"seconds\": \(seconds)",
                    "\"loss_kind\": \"\(configuration.loss.rawValue)\"", "\"mining\": \"\(configuration.mining.rawValue)\"",
                    "\"distance\": \"\(configuration.resolvedDistance.rawValue)\"",
                    "\"batch_size\": \(x.rows)", "\"dimension\": \(x.cols)",
                ]
                print("{" + fields.joined(separator: ", ") + "}")
            } else {
                let percent = String(format: "%.1f", 100 * result.activeFraction)
                print("\(configuration.loss.rawValue) loss (mining \(configuration.mining.rawValue), \(configuration.resolvedDistance.rawValue)) = \(result.loss)")
                print("\(result.tuples) tuples, \(percent)% active, batch \(x.rows) × \(x.cols), \(String(format: "%.3f", seconds * 1000)) ms"
                      + (gradOut.map { ", gradient written to \($0)" } ?? ""))
            }
        }
    }

    /// The configuration the options describe; bad names and numbers are user errors.
    func makeConfiguration() throws -> LossConfiguration {
        LossConfiguration(
            loss: try Self.parse(LossKind.self, loss, option: "--loss"),
            mining: try Self.parse(MiningKind.self, mining, option: "--mining"),
            margin: try margin.map { try Self.number($0, option: "--margin") },
            posMargin: try posMargin.map { try Self.number($0, option: "--pos-margin") },
            negMargin: try negMargin.map { try Self.number($0, option: "--neg-margin") },
            power: try power.map { value in
                guard let p = Int(value) else { throw UsageFailure("--power must be 1 or 2, got '\(value)'") }
                return p
            },
            distance: try distance.map { try Self.parse(DistanceKind.self, $0, option: "--distance") },
            reducer: try reducer.map { try Self.parse(ReducerKind.self, $0, option: "--reducer") },
            soft: soft ? true : nil,
            seed: try { () throws -> UInt64 in
                guard let s = UInt64(seed) else { throw UsageFailure("--seed must be a non-negative integer, got '\(seed)'") }
                return s
            }())
    }

    static func parse<T: RawRepresentable & CaseIterable>(_: T.Type, _ value: String, option: String) throws -> T
    where T.RawValue == String {
        guard let v = T(rawValue: value) else {
            throw UsageFailure("\(option) '\(value)' is not one of \(names(T.self))")
        }
        return v
    }

    static func number(_ value: String, option: String) throws -> Double {
        guard let v = Double(value), v.isFinite else { throw UsageFailure("\(option) must be a finite number, got '\(value)'") }
        return v
    }
}

/// The raw values of an enum, comma-separated, for help and error messages.
private func names<T: RawRepresentable & CaseIterable>(_: T.Type) -> String where T.RawValue == String {
    T.allCases.map(\.rawValue).joined(separator: ", ")
}
