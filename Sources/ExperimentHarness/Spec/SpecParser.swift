import Foundation
import MetricLearning
import Training
import Yams

/// Reads and validates an experiment file: every problem is a `SpecError`
/// naming the file, line and key, found before any training starts.
public enum SpecParser {
    static let topKeys = ["name", "description", "dataset", "model", "train", "seeds", "base", "sweeps", "metrics", "tables", "tune"]
    static let tuneKeys = ["metric", "folds", "budget", "search", "multivariate", "space"]
    static let distributionKeys = ["log_uniform", "uniform", "int_uniform", "choice"]
    /// The keys of every dataset section; the others are the registered dataset's own.
    static let datasetCommon = ["name", "split", "standardize"]
    static let modelKeys = ["kind", "hidden", "channels", "normalize"]
    static let trainKeys = [
        "optimizer", "learning_rate", "momentum", "weight_decay", "epochs", "samples_per_class",
        "classes_per_batch", "schedule", "step_size", "gamma", "max_steps_per_epoch", "batch_size",
        "loss_learning_rate",
    ]

    /// Reads the spec at `path`.
    public static func load(_ path: String) throws -> ExperimentSpec {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw SpecError(file: path, line: nil, key: "", message: "is a directory; give the experiment file (YAML), e.g. experiments/ci.yaml")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw SpecError(file: path, line: nil, key: "", message: FileManager.default.fileExists(atPath: path) ? "cannot be read as UTF-8 text" : "no such file")
        }
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(text, file: path, defaultName: stem)
    }

    /// Parses spec text; `file` is used in messages only.
    public static func parse(_ text: String, file: String, defaultName: String = "experiment") throws -> ExperimentSpec {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw SpecError(file: file, line: nil, key: "", message: "the file is empty")
            }
            root = node
        } catch let e as SpecError {
            throw e
        } catch let e as YamlError {
            throw yamlProblem(e, text: text, file: file)
        }
        var r = Reader(file: file)
        return try r.experiment(root, defaultName: defaultName)
    }

    /// A YAML error as one line: Yams's own descriptions quote the whole file.
    static func yamlProblem(_ e: YamlError, text: String, file: String) -> SpecError {
        switch e {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let during = context.map { " \($0.text)" } ?? ""
            return SpecError(file: file, line: mark.line, key: "", message: "not valid YAML: \(problem)\(during)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.sorted().first ?? ""
            // Yams marks where the mapping starts: the key's lines from there on are in it (or after it).
            let lines = linesDefining(key, in: text).filter { $0 >= context.mark.line }
            let first = lines.first.map { " (first on line \($0))" } ?? ""
            return SpecError(file: file, line: lines.dropFirst().first ?? context.mark.line, key: key,
                             message: "appears twice in one mapping\(first); keep one")
        case .no, .memory, .reader, .writer, .emitter, .representer, .dataCouldNotBeDecoded:
            return SpecError(file: file, line: nil, key: "", message: "not valid YAML: \(e)")
        }
    }

    /// The 1-based lines where `key` is written as a mapping key (block or flow style).
    static func linesDefining(_ key: String, in text: String) -> [Int] {
        var out: [Int] = []
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            // A key starts a line (after indentation and list dashes) or follows '{' or ',' in a flow mapping.
            let starts = [line.startIndex] + line.indices.filter { line[$0] == "{" || line[$0] == "," }.map { line.index(after: $0) }
            if starts.contains(where: { startsWithKey(line[$0...], key) }) { out.append(i + 1) }
        }
        return out
    }

    /// Whether `text` is `key:` (the key plain or quoted), after blanks and list dashes.
    private static func startsWithKey(_ text: Substring, _ key: String) -> Bool {
        var rest = text.drop { $0 == " " || $0 == "\t" || $0 == "-" }
        let quote = rest.first.flatMap { $0 == "'" || $0 == "\"" ? $0 : nil }
        if quote != nil { rest = rest.dropFirst() }
        guard rest.hasPrefix(key) else { return false }
        rest = rest.dropFirst(key.count)
        if let quote {
            guard rest.first == quote else { return false }
            rest = rest.dropFirst()
        }
        return rest.drop { $0 == " " || $0 == "\t" }.first == ":"
    }
}

/// Walks the YAML tree with typed accessors that know the file and line of each node.
struct Reader {
    let file: String

    func fail(_ node: Node?, _ key: String, _ message: String) -> SpecError {
        SpecError(file: file, line: node?.mark?.line, key: key, message: message)
    }

    func mapping(_ node: Node, _ key: String) throws -> [(String, Node, Node)] {
        guard case .mapping(let m) = node else { throw fail(node, key, "expected a mapping (key: value pairs)") }
        var seen = Set<String>()
        var out: [(String, Node, Node)] = []
        for (k, v) in m {
            guard let name = k.string else { throw fail(k, key, "keys must be plain words") }
            guard seen.insert(name).inserted else { throw fail(k, name, "appears twice") }
            out.append((name, k, v))
        }
        return out
    }

    func checkKeys(_ entries: [(String, Node, Node)], allowed: [String], section: String) throws {
        for (name, k, _) in entries where !allowed.contains(name) {
            let place = section.isEmpty ? "" : " in '\(section)'"
            throw fail(k, name, "unknown key\(place)\(didYouMean(name, allowed)); known keys: \(allowed.joined(separator: ", "))")
        }
    }

    func string(_ node: Node, _ key: String) throws -> String {
        guard case .scalar(let s) = node, node.null == nil else { throw fail(node, key, "expected a word or text") }
        return s.string
    }

    func int(_ node: Node, _ key: String, min: Int = Int.min) throws -> Int {
        guard case .scalar = node, let v = node.int else { throw fail(node, key, "expected an integer, found '\(node.string ?? "a list or mapping")'") }
        guard v >= min else { throw fail(node, key, "must be at least \(min), found \(v)") }
        return v
    }

    func double(_ node: Node, _ key: String, positive: Bool = false) throws -> Double {
        guard case .scalar = node, let v = node.float ?? node.int.map(Double.init), v.isFinite else {
            throw fail(node, key, "expected a number, found '\(node.string ?? "a list or mapping")'")
        }
        if positive && v <= 0 { throw fail(node, key, "must be positive, found \(v)") }
        return v
    }

    func bool(_ node: Node, _ key: String) throws -> Bool {
        guard case .scalar = node, let v = node.bool else { throw fail(node, key, "expected true or false, found '\(node.string ?? "a list or mapping")'") }
        return v
    }

    func list(_ node: Node, _ key: String) throws -> [Node] {
        guard case .sequence(let s) = node else { throw fail(node, key, "expected a list, e.g. [a, b]") }
        return Array(s)
    }

    func word<T: RawRepresentable & CaseIterable>(_ node: Node, _ key: String, as: T.Type) throws -> T where T.RawValue == String {
        let s = try string(node, key)
        guard let v = T(rawValue: s) else {
            let names = T.allCases.map(\.rawValue)
            throw fail(node, key, "unknown value '\(s)'\(didYouMean(s, names)); one of: \(names.joined(separator: ", "))")
        }
        return v
    }

    func axisValue(_ node: Node, axis: Axis) throws -> AxisValue {
        let key = axis.rawValue
        let value: AxisValue
        switch axis.kind {
        case .int: value = .int(try int(node, key, min: 1))
        case .double: value = .double(try double(node, key))
        case .bool: value = .bool(try bool(node, key))
        case .word(let names):
            let s = try string(node, key)
            guard names.contains(s) else {
                throw fail(node, key, "unknown value '\(s)'\(didYouMean(s, names)); one of: \(names.joined(separator: ", "))")
            }
            value = .string(s)
        }
        return value
    }

    /// Every loss-parameter value of `base` and `sweeps`, checked by each loss
    /// the spec names (the base's, default triplet, and every `loss` of a
    /// sweep) that has the key, here where its line is known: a value only a
    /// skipped loss/mining combination would take is still bad input, not
    /// silently dropped with the combination. A loss the spec never names does
    /// not judge the value (a negative triplet margin is not arcface's
    /// business). Only errors about the key itself; a rule joining several
    /// keys is checked when each variant is resolved.
    func checkLossParameters(base: [(Axis, AxisValue, Node?)], sweeps: [[(Axis, [(AxisValue, Node)])]]) throws {
        var named: [LossKind] = []
        func add(_ value: AxisValue) {
            if case .string(let s) = value, let kind = LossKind(rawValue: s), !named.contains(kind) { named.append(kind) }
        }
        if let b = base.first(where: { $0.0 == .loss }) { add(b.1) } else { named.append(.triplet) }
        for sweep in sweeps { for (axis, values) in sweep where axis == .loss { values.forEach { add($0.0) } } }
        let losses = named.compactMap(LossRegistry.loss)
        /// `key` as a word of `text` (`margin` is not in `pos_margin`).
        func mentions(_ text: String, _ key: String) -> Bool {
            var rest = text[...]
            while let r = rest.range(of: key) {
                let before = r.lowerBound == text.startIndex ? nil : text[text.index(before: r.lowerBound)]
                let after = r.upperBound == text.endIndex ? nil : text[r.upperBound]
                func isWord(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false }
                if !isWord(before) && !isWord(after) { return true }
                rest = text[r.upperBound...]
            }
            return false
        }
        func check(_ key: String, _ value: AxisValue, _ node: Node?) throws {
            let owners = losses.filter { $0.parameterKeys.contains { $0.name == key } }
            for loss in owners {
                do {
                    _ = try loss.resolvedParameters([key: value])
                } catch let error as LossError {
                    // With the other keys at their defaults, an error about this key alone
                    // names only it; one naming another key too is a rule between keys,
                    // judged per variant with the values actually combined.
                    let text = "\(error)"
                    guard mentions(text, key), !loss.parameterKeys.contains(where: { $0.name != key && mentions(text, $0.name) }) else { continue }
                    let all = owners.count > 1 ? " (every loss of this spec with '\(key)' checks it: \(owners.map(\.kind.rawValue).joined(separator: ", ")))" : ""
                    throw fail(node, key, (text.hasPrefix("\(loss.kind):") ? text : "\(loss.kind): \(text)") + all)
                }
            }
        }
        for (axis, value, node) in base { if case .parameter(let key) = axis { try check(key, value, node) } }
        for sweep in sweeps {
            for (axis, values) in sweep { if case .parameter(let key) = axis { for (v, n) in values { try check(key, v, n) } } }
        }
    }

    func axis(_ name: String, _ keyNode: Node, section: String) throws -> Axis {
        guard let a = Axis(rawValue: name) else {
            let names = Axis.allCases.map(\.rawValue)
            throw fail(keyNode, name, "unknown setting in '\(section)'\(didYouMean(name, names)); sweepable settings: \(names.joined(separator: ", "))")
        }
        return a
    }

    mutating func experiment(_ root: Node, defaultName: String) throws -> ExperimentSpec {
        let top = try mapping(root, "")
        try checkKeys(top, allowed: SpecParser.topKeys, section: "")
        func node(_ k: String) -> Node? { top.first { $0.0 == k }?.2 }

        let name = try node("name").map { try string($0, "name") } ?? defaultName
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw fail(node("name"), "name", "use letters, digits, '-' and '_' only (it names the results folder)")
        }
        let description = try node("description").map { try string($0, "description") } ?? ""
        guard let datasetNode = node("dataset") else { throw fail(root, "dataset", "missing: say which data to use, e.g. dataset: { name: fashion-mnist }") }
        let dataset = try self.dataset(datasetNode)
        var model = ModelSpec()
        var baseFromSections: [(Axis, AxisValue)] = []
        if let m = node("model") { try self.model(m, into: &model, base: &baseFromSections) }
        var train = TrainSpec()
        if let t = node("train") { try self.train(t, into: &train, base: &baseFromSections) }

        var seeds: [UInt64] = [0]
        if let s = node("seeds") {
            let items = try list(s, "seeds")
            guard !items.isEmpty else { throw fail(s, "seeds", "give at least one seed") }
            seeds = try items.map { UInt64(try int($0, "seeds", min: 0)) }
            if Set(seeds).count != seeds.count { throw fail(s, "seeds", "a seed is listed twice") }
        }

        var base: [(Axis, AxisValue)] = baseFromSections
        var baseNodes: [(Axis, AxisValue, Node?)] = []
        if let b = node("base") {
            for (k, kn, v) in try mapping(b, "base") {
                let a = try axis(k, kn, section: "base")
                let value = try axisValue(v, axis: a)
                base.removeAll { $0.0 == a }
                base.append((a, value))
                baseNodes.append((a, value, v))
            }
        }

        var sweeps: [ExperimentSpec.Sweep] = []
        var sweepNodes: [[(Axis, [(AxisValue, Node)])]] = []
        if let s = node("sweeps") {
            for item in try list(s, "sweeps") {
                var axes: [(Axis, [(AxisValue, Node)])] = []
                for (k, kn, v) in try mapping(item, "sweeps") {
                    let a = try axis(k, kn, section: "sweeps")
                    let items: [Node]
                    if case .sequence = v { items = try list(v, k) } else { items = [v] }
                    let values = try items.map { (try axisValue($0, axis: a), $0) }
                    guard !values.isEmpty else { throw fail(v, k, "give at least one value") }
                    axes.append((a, values))
                }
                sweeps.append(.init(axes: axes.map { ($0.0, $0.1.map(\.0)) }, line: item.mark?.line))
                sweepNodes.append(axes)
            }
        }
        try checkLossParameters(base: baseNodes, sweeps: sweepNodes)

        var metrics: [MetricID] = [.recall(1), .recall(2), .recall(4), .recall(8), .mapAtR, .nmi, .f1]
        var metricNodes: [MetricID: Node] = [:]
        if let m = node("metrics") {
            metrics = []
            for item in try list(m, "metrics") {
                let text = try string(item, "metrics")
                guard let canonical = try? MetricID(parsing: text) else {
                    throw fail(item, "metrics", "unknown metric '\(text)'; known: \(MetricID.known)")
                }
                if !metrics.contains(canonical) { metrics.append(canonical) }
                metricNodes[canonical] = item
            }
        }
        var tables: [TableSpec] = []
        if let t = node("tables") {
            for item in try list(t, "tables") {
                let entries = try mapping(item, "tables")
                try checkKeys(entries, allowed: ["rows", "columns", "metric"], section: "tables")
                func get(_ k: String) throws -> (Node, Node) {
                    guard let e = entries.first(where: { $0.0 == k }) else { throw fail(item, "tables", "a table needs '\(k)'") }
                    return (e.1, e.2)
                }
                let (rk, rv) = try get("rows"), (ck, cv) = try get("columns"), (_, mv) = try get("metric")
                let rows = try axis(try string(rv, "rows"), rk, section: "tables")
                let columns = try axis(try string(cv, "columns"), ck, section: "tables")
                let metricText = try string(mv, "metric")
                guard let metric = try? MetricID(parsing: metricText) else { throw fail(mv, "metric", "unknown metric '\(metricText)'") }
                guard metrics.contains(metric) else {
                    throw fail(mv, "metric", "'\(metric)' is not in 'metrics'; add it there")
                }
                tables.append(TableSpec(rows: rows, columns: columns, metric: metric))
            }
        }
        let tune = try node("tune").map { try self.tune($0, sweeps: sweeps, metrics: metrics) }
        return ExperimentSpec(
            file: file, name: name, description: description, dataset: dataset, model: model, train: train,
            seeds: seeds, base: base, sweeps: sweeps, metrics: metrics, tables: tables, tune: tune)
    }

    /// `dataset: { name: …, split: …, standardize: …, <the dataset's own keys> }`:
    /// the options are read by the registered dataset and validated by it.
    func dataset(_ n: Node) throws -> DatasetSpec {
        let entries = try mapping(n, "dataset")
        let names = DatasetRegistry.names
        guard let nameEntry = entries.first(where: { $0.0 == "name" }) else {
            throw fail(n, "dataset", "needs 'name': one of \(names.joined(separator: ", "))")
        }
        let name = try string(nameEntry.2, "name")
        guard let kind = DatasetKind(rawValue: name), let registered = DatasetRegistry.dataset(kind) else {
            throw fail(nameEntry.2, "name", "unknown value '\(name)'\(didYouMean(name, names)); one of: \(names.joined(separator: ", "))")
        }
        try checkKeys(entries, allowed: SpecParser.datasetCommon + registered.specKeys, section: "dataset (\(kind))")
        var split = SplitKind.classDisjoint, standardize = false
        var own: [(Node, Node)] = []
        for (k, kn, v) in entries {
            switch k {
            case "name": break
            case "split": split = try word(v, k, as: SplitKind.self)
            case "standardize": standardize = try bool(v, k)
            default: own.append((kn, v))
            }
        }
        let section = Node.mapping(Node.Mapping(own, .implicit, .any, n.mark))
        let options = try registered.options(specFrom: _SpecNodeDecoder(reader: self, node: section, key: "dataset"))
        let spec = DatasetSpec(erased: options, split: split, standardize: standardize)
        do {
            try spec.validate()
        } catch let e as DatasetError {
            let at = e.key.flatMap { key in entries.first { $0.0 == key }?.2 } ?? n
            throw fail(at, e.key ?? "dataset", e.message)
        }
        return spec
    }

    func model(_ n: Node, into m: inout ModelSpec, base: inout [(Axis, AxisValue)]) throws {
        let entries = try mapping(n, "model")
        try checkKeys(entries, allowed: SpecParser.modelKeys, section: "model")
        for (k, _, v) in entries {
            switch k {
            case "kind": m.kind = try word(v, k, as: ModelKind.self)
            case "hidden": m.hidden = try list(v, k).map { try int($0, k, min: 1) }
            case "channels": m.channels = try list(v, k).map { try int($0, k, min: 1) }
            case "normalize": m.normalize = try bool(v, k)
            default: break
            }
        }
    }

    func train(_ n: Node, into t: inout TrainSpec, base: inout [(Axis, AxisValue)]) throws {
        let entries = try mapping(n, "train")
        try checkKeys(entries, allowed: SpecParser.trainKeys, section: "train")
        for (k, _, v) in entries {
            switch k {
            case "optimizer": t.optimizer = try word(v, k, as: OptimizerKind.self)
            case "schedule": t.schedule = try word(v, k, as: ScheduleKind.self)
            case "learning_rate": t.learningRate = try double(v, k, positive: true)
            case "momentum": t.momentum = try double(v, k)
            case "weight_decay": t.weightDecay = try double(v, k)
            case "epochs": t.epochs = try int(v, k, min: 1)
            case "step_size": t.stepSize = try int(v, k, min: 1)
            case "gamma": t.gamma = try double(v, k, positive: true)
            case "max_steps_per_epoch": t.maxStepsPerEpoch = try int(v, k, min: 1)
            case "loss_learning_rate": t.lossLearningRate = try double(v, k, positive: true)
            case "samples_per_class", "classes_per_batch", "batch_size":
                // Batch composition is an axis: it lives with the base variant.
                let a = Axis(rawValue: k)!
                base.append((a, try axisValue(v, axis: a)))
            default: break
            }
        }
    }

    /// `tune: { metric, folds, budget: { trials }, search, space: { key: { log_uniform | uniform | int_uniform | choice: … } } }`.
    func tune(_ n: Node, sweeps: [ExperimentSpec.Sweep], metrics: [MetricID]) throws -> TuneSpec {
        let entries = try mapping(n, "tune")
        try checkKeys(entries, allowed: SpecParser.tuneKeys, section: "tune")
        func entry(_ k: String) -> (Node, Node)? { entries.first { $0.0 == k }.map { ($0.1, $0.2) } }
        guard let (_, metricNode) = entry("metric") else {
            throw fail(n, "tune", "needs 'metric': the validation metric the search maximises, e.g. metric: map@r")
        }
        let metricText = try string(metricNode, "metric")
        guard let metric = try? MetricID(parsing: metricText) else {
            throw fail(metricNode, "metric", "unknown metric '\(metricText)'; known: \(MetricID.known)")
        }
        let folds = try entry("folds").map { try int($0.1, "folds", min: 2) } ?? TuneSpec.defaultFolds
        guard let (_, budgetNode) = entry("budget") else {
            throw fail(n, "budget", "missing: give the trials per variant, e.g. budget: { trials: 24 }")
        }
        let budget = try mapping(budgetNode, "budget")
        try checkKeys(budget, allowed: ["trials"], section: "tune.budget")
        guard let trialsNode = budget.first(where: { $0.0 == "trials" })?.2 else {
            throw fail(budgetNode, "trials", "missing: give the trials per variant, e.g. budget: { trials: 24 }")
        }
        let trials = try int(trialsNode, "trials", min: 1)
        let search = try entry("search").map { try word($0.1, "search", as: SearchKind.self) } ?? .random
        var multivariate = false
        if let (key, value) = entry("multivariate") {
            multivariate = try bool(value, "multivariate")
            guard !multivariate || search == .tpe else {
                throw fail(key, "multivariate", "applies to search: tpe only (search is \(search.rawValue)); remove it or use search: tpe")
            }
        }
        guard let (_, spaceNode) = entry("space") else {
            throw fail(n, "space", "missing: name the settings to tune, e.g. space: { learning_rate: { log_uniform: [1.0e-4, 1.0e-2] } }")
        }
        var space: [TuneParameter] = []
        let swept = Set(sweeps.flatMap { $0.axes.map(\.0) })
        for (k, kn, v) in try mapping(spaceNode, "space") {
            let a = try axis(k, kn, section: "tune.space")
            guard TuneSpec.isTunable(a) else {
                throw fail(kn, k, "cannot be tuned: loss, mining and model define the variants, epochs are the budget, and the batch composition is fixed per variant; tune a training or loss setting")
            }
            guard !swept.contains(a) else {
                throw fail(kn, k, "is both swept and tuned; remove it from 'sweeps' or from 'tune.space'")
            }
            space.append(TuneParameter(axis: a, distribution: try distribution(v, axis: a), line: kn.mark?.line))
        }
        guard !space.isEmpty else { throw fail(spaceNode, "space", "name at least one setting to tune") }
        var spec = TuneSpec(metric: metric, folds: folds, trials: trials, search: search, space: space, line: n.mark?.line)
        spec.multivariate = multivariate
        return spec
    }

    /// `{ log_uniform: [lo, hi] }`, `{ uniform: [lo, hi] }`, `{ int_uniform: [lo, hi] }` or `{ choice: [a, b, …] }`.
    func distribution(_ n: Node, axis: Axis) throws -> TuneDistribution {
        let key = axis.rawValue
        let entries = try mapping(n, key)
        try checkKeys(entries, allowed: SpecParser.distributionKeys, section: "tune.space.\(key)")
        guard entries.count == 1, let (kind, _, v) = entries.first else {
            throw fail(n, key, "give exactly one of \(SpecParser.distributionKeys.joined(separator: ", ")), e.g. { uniform: [0.05, 1.0] }")
        }
        if kind == "choice" {
            let values = try list(v, key).map { try axisValue($0, axis: axis) }
            guard !values.isEmpty else { throw fail(v, key, "give at least one value to choose from") }
            return .choice(values)
        }
        let bounds = try list(v, key)
        guard bounds.count == 2 else { throw fail(v, key, "\(kind) needs two bounds [low, high], found \(bounds.count) value(s)") }
        let numeric: Bool
        switch axis.kind {
        case .int: numeric = kind == "int_uniform"
        case .double: numeric = kind != "int_uniform"
        case .bool, .word: numeric = false
        }
        guard numeric else {
            let hint: String
            switch axis.kind {
            case .int: hint = "it takes whole numbers: use int_uniform or choice"
            case .double: hint = "it takes real numbers: use log_uniform, uniform or choice"
            case .bool, .word: hint = "it is not a number: use choice"
            }
            throw fail(v, key, "\(kind) does not fit '\(key)': \(hint)")
        }
        if kind == "int_uniform" {
            let lo = try int(bounds[0], key), hi = try int(bounds[1], key)
            guard lo <= hi, lo >= 1 else { throw fail(v, key, "int_uniform needs 1 ≤ low ≤ high, found [\(lo), \(hi)]") }
            return .intUniform(lo, hi)
        }
        let lo = try double(bounds[0], key), hi = try double(bounds[1], key)
        guard lo < hi else { throw fail(v, key, "\(kind) needs low < high, found [\(lo), \(hi)]") }
        if kind == "log_uniform" {
            guard lo > 0 else { throw fail(v, key, "log_uniform needs positive bounds, found [\(lo), \(hi)]") }
            return .logUniform(lo, hi)
        }
        return .uniform(lo, hi)
    }
}
