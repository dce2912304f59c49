import Foundation
import MetricLearning
import Training
import Yams

/// Reads and validates an experiment file: every problem is a `SpecError`
/// naming the file, line and key, found before any training starts.
public enum SpecParser {
    static let topKeys = ["name", "description", "dataset", "model", "train", "seeds", "base", "sweeps", "metrics", "tables"]
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
        if case .parameter(let name) = axis { try checkLossParameter(name, value, node) }
        return value
    }

    /// A loss parameter's value, checked by every registered loss that has
    /// the key, here where its line is known: a value only a skipped
    /// loss/mining combination would take is still bad input, not silently
    /// dropped with the combination. (Only errors about this key itself; a
    /// rule joining several keys is checked when each variant is resolved.)
    func checkLossParameter(_ key: String, _ value: AxisValue, _ node: Node) throws {
        let losses = LossRegistry.losses.filter { $0.parameterKeys.contains { $0.name == key } }
        for loss in losses {
            do {
                _ = try loss.resolvedParameters([key: value])
            } catch let error as LossError {
                let text = "\(error)"
                guard text.contains(key + " must") else { continue }
                let owners = losses.count > 1 ? " (every loss with '\(key)' checks it: \(losses.map(\.kind.rawValue).joined(separator: ", ")))" : ""
                throw fail(node, key, (text.hasPrefix("\(loss.kind):") ? text : "\(loss.kind): \(text)") + owners)
            }
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
        if let b = node("base") {
            for (k, kn, v) in try mapping(b, "base") {
                let a = try axis(k, kn, section: "base")
                base.removeAll { $0.0 == a }
                base.append((a, try axisValue(v, axis: a)))
            }
        }

        var sweeps: [ExperimentSpec.Sweep] = []
        if let s = node("sweeps") {
            for item in try list(s, "sweeps") {
                var axes: [(Axis, [AxisValue])] = []
                for (k, kn, v) in try mapping(item, "sweeps") {
                    let a = try axis(k, kn, section: "sweeps")
                    let values: [AxisValue]
                    if case .sequence = v {
                        values = try list(v, k).map { try axisValue($0, axis: a) }
                    } else {
                        values = [try axisValue(v, axis: a)]
                    }
                    guard !values.isEmpty else { throw fail(v, k, "give at least one value") }
                    axes.append((a, values))
                }
                sweeps.append(.init(axes: axes, line: item.mark?.line))
            }
        }

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
        return ExperimentSpec(
            file: file, name: name, description: description, dataset: dataset, model: model, train: train,
            seeds: seeds, base: base, sweeps: sweeps, metrics: metrics, tables: tables)
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
}
