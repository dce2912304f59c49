import ArgumentParser
import Foundation
import MetricLearning

/// `metricbench loss`: one loss value and its gradient for embeddings from any framework.
struct LossCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loss",
        abstract: "Evaluate one loss (and its gradient) on given embeddings and labels.",
        discussion: """
            Embeddings are used exactly as given (no normalisation). Every parameter of the loss is an \
            option named by its spec key (underscores as dashes), e.g. --margin 0.1 --pos-margin 0 \
            --distance euclidean; unset parameters take their defaults. \(parameterHelp())
            """)

    @Option(help: "The loss: \(LossKind.allCases.map(\.rawValue).joined(separator: ", ")).") var loss: String
    @Option(help: "The mining strategy: \(names(MiningKind.self)).") var mining: String = MiningKind.all.rawValue
    @Option(help: "Seed of the random miners.") var seed: String = "0"
    @Option(help: "Embeddings, a float .npy of shape B × d.") var embeddings: String
    @Option(help: "Labels, an integer .npy of B values.") var labels: String
    @Option(name: .customLong("grad-out"), help: "Write dLoss/dEmbeddings here as a float32 .npy of shape B × d.") var gradOut: String?
    @Option(help: "Proxies or class weights of a class-weight loss, a float .npy of shape C × d, rows in the order of the sorted distinct labels (default: the loss's own seeded initialisation).")
    var proxies: String?
    @Option(name: .customLong("proxy-grad-out"), help: "Write dLoss/dProxies here as a float32 .npy of shape C × d.") var proxyGradOut: String?
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Argument(parsing: .allUnrecognized, help: "The loss's parameters: --KEY VALUE (a flag alone means true).")
    var parameters: [String] = []

    func run() throws {
        try reportingErrors {
            if let gradOut { try OptionChecks.outputFile(gradOut, option: "--grad-out") }
            let (registered, miningKind, values, seed) = try makeLoss()
            var evaluator = try registered.makeStrictly(values, mining: miningKind, seed: seed)
            let resolved = try registered.resolvedParameters(values)
            let x = try NPY.readMatrix(embeddings)
            let y = try NPY.readLabels(labels)
            guard y.count == x.rows else {
                throw UsageFailure("\(labels) has \(y.count) labels but \(embeddings) has \(x.rows) rows; give one label per embedding")
            }
            guard x.isFinite else { throw UsageFailure("\(embeddings): the embeddings contain NaN or infinite values") }
            let classes = Array(Set(y)).sorted()
            try evaluator.prepare(classes: classes, dimension: x.cols, seed: seed)
            var tensors = 0
            evaluator.visitParameters { _, _ in tensors += 1 }
            if (proxies != nil || proxyGradOut != nil) && tensors != 1 {
                throw UsageFailure("--proxies and --proxy-grad-out are for the losses with one row per class (proxy-nca, proxy-anchor, normalized-softmax, arcface, cosface), not '\(registered.kind)'")
            }
            if let proxies {
                let p = try NPY.readMatrix(proxies)
                guard p.rows == classes.count, p.cols == x.cols else {
                    throw UsageFailure("\(proxies) is \(p.rows) × \(p.cols); it must be \(classes.count) × \(x.cols): one row per distinct label (sorted), as wide as the embeddings")
                }
                guard p.isFinite else { throw UsageFailure("\(proxies): the proxies contain NaN or infinite values") }
                evaluator.visitParameters { values, _ in values = p.storage }
            }
            var gradient = Matrix(rows: x.rows, cols: x.cols)
            let start = MonotonicClock.now()
            let result = try evaluator.evaluate(embeddings: x, labels: y, gradient: &gradient)
            let seconds = MonotonicClock.seconds(since: start)
            guard result.loss.isFinite, gradient.isFinite else {
                throw UsageFailure("the loss or its gradient is not finite on these embeddings")
            }
            if let gradOut { try NPY.write(gradient, to: gradOut) }
            if let proxyGradOut {
                var proxyGradient = Matrix(rows: classes.count, cols: x.cols)
                evaluator.visitParameters { _, gradients in proxyGradient.storage = gradients }
                try NPY.write(proxyGradient, to: proxyGradOut)
            }
            if json {
                let fields = [
                    "\"loss\": \(result.loss)", "\"tuples\": \(result.tuples)",
                    "\"active_fraction\": \(result.activeFraction)", "\"seconds\": \(seconds)",
                    "\"loss_kind\": \"\(registered.kind)\"", "\"mining\": \"\(miningKind.rawValue)\"",
                    "\"parameters\": {" + resolved.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \(jsonValue($0.value))" }
                        .joined(separator: ", ") + "}",
                    "\"batch_size\": \(x.rows)", "\"dimension\": \(x.cols)",
                ]
                print("{" + fields.joined(separator: ", ") + "}")
            } else {
                let percent = String(format: "%.1f", 100 * result.activeFraction)
                let settings = resolved.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                print("\(registered.kind) loss (mining \(miningKind.rawValue)\(settings.isEmpty ? "" : ", " + settings)) = \(result.loss)")
                print("\(result.tuples) tuples, \(percent)% active, batch \(x.rows) × \(x.cols), \(String(format: "%.3f", seconds * 1000)) ms"
                      + (gradOut.map { ", gradient written to \($0)" } ?? ""))
            }
        }
    }

    /// The loss the options describe; bad names, keys and values are user errors.
    func makeLoss() throws -> (RegisteredLoss, MiningKind, [String: ParameterValue], UInt64) {
        guard let kind = LossKind(rawValue: loss), let registered = LossRegistry.loss(kind) else {
            throw UsageFailure("--loss '\(loss)' is not one of \(LossKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let miningKind = MiningKind(rawValue: mining) else {
            throw UsageFailure("--mining '\(mining)' is not one of \(names(MiningKind.self))")
        }
        guard let seed = UInt64(seed) else { throw UsageFailure("--seed must be a non-negative integer, got '\(self.seed)'") }
        var values: [String: ParameterValue] = [:]
        var i = 0
        while i < parameters.count {
            let option = parameters[i]
            guard option.hasPrefix("--"), option.count > 2 else {
                throw UsageFailure("unexpected argument '\(option)'; loss parameters are given as --KEY VALUE")
            }
            let key = option.dropFirst(2).replacingOccurrences(of: "-", with: "_")
            guard let spec = registered.parameterKeys.first(where: { $0.name == key }) else {
                let known = registered.parameterKeys.map { "--" + $0.name.replacingOccurrences(of: "_", with: "-") }
                throw UsageFailure("\(option) is not a parameter of loss '\(kind)' (its parameters: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
            }
            let next = i + 1 < parameters.count && !parameters[i + 1].hasPrefix("--") ? parameters[i + 1] : nil
            switch spec.kind {
            case .bool:
                guard let text = next else { values[key] = .bool(true); i += 1; continue }
                guard let b = Bool(text) else { throw UsageFailure("\(option) must be true or false, got '\(text)'") }
                values[key] = .bool(b)
            case .int:
                guard let text = next, let v = Int(text) else { throw UsageFailure("\(option) needs an integer value") }
                values[key] = .int(v)
            case .double:
                guard let text = next else { throw UsageFailure("\(option) needs a number") }
                values[key] = .double(try Self.number(text, option: option))
            case .word(let words):
                guard let text = next, words.contains(text) else {
                    throw UsageFailure("\(option) must be one of \(words.joined(separator: ", "))")
                }
                values[key] = .string(text)
            }
            i += 2
        }
        return (registered, miningKind, values, seed)
    }

    static func number(_ value: String, option: String) throws -> Double {
        guard let v = Double(value), v.isFinite else { throw UsageFailure("\(option) must be a finite number, got '\(value)'") }
        return v
    }
}

/// Every loss's parameters with their defaults, for the help text.
private func parameterHelp() -> String {
    LossRegistry.losses.map { loss in
        let keys = loss.parameterKeys.map { "--\($0.name.replacingOccurrences(of: "_", with: "-")) (\($0.defaultValue))" }
        return "\(loss.kind): " + (keys.isEmpty ? "no parameters" : keys.joined(separator: ", "))
    }.joined(separator: "; ") + "."
}

/// A parameter value as JSON.
private func jsonValue(_ v: ParameterValue) -> String {
    switch v {
    case .string(let s): return "\"\(s)\""
    case .int, .double, .bool: return v.description
    }
}

/// The raw values of an enum, comma-separated, for help and error messages.
private func names<T: RawRepresentable & CaseIterable>(_: T.Type) -> String where T.RawValue == String {
    T.allCases.map(\.rawValue).joined(separator: ", ")
}
