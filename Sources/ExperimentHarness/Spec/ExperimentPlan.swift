import Foundation
import MetricLearning
import Training

/// One point of the sweep: a resolved configuration and its stable id.
public struct Variant: Hashable, Sendable {
    /// A stable hash of `configuration` (not of the YAML text): 12 hex digits.
    public var id: String
    public var configuration: RunConfiguration
}

/// One training run: a variant and a seed.
public struct PlannedRun: Hashable, Sendable {
    public var variant: Variant
    public var seed: UInt64
    /// `<variant-id>-s<seed>`, the name of its record.
    public var key: String { "\(variant.id)-s\(seed)" }
}

/// A combination the sweep asked for but the losses cannot run (DESIGN §4).
public struct SkippedCombination: Hashable, Sendable {
    public var loss: LossKind
    public var mining: MiningKind
    public var note: String { "skipped: loss '\(loss.rawValue)' does not support mining '\(mining.rawValue)'" }
}

/// The expansion of a spec: the de-duplicated union of its grids, in first-seen order.
public struct ExperimentPlan: Sendable {
    public var spec: ExperimentSpec
    public var variants: [Variant]
    public var skipped: [SkippedCombination]
    /// The base variant (nil when the base itself is an unsupported combination).
    public var base: Variant?
    /// The base settings as written, before defaults.
    var baseDraft: VariantDraft
    /// For the final plan of a tuned spec: each sweep variant's id → the id of its chosen
    /// configuration (which `variants` then holds), so tables find a cell by its sweep settings.
    public var tunedIDs: [String: String] = [:]

    /// Every run: each variant with each seed, in plan order.
    public var runs: [PlannedRun] {
        variants.flatMap { v in spec.seeds.map { PlannedRun(variant: v, seed: $0) } }
    }

    /// The runs of shard `index` of `count` (0-based): every `count`-th run of
    /// the plan, starting at `index`, so the shards partition the runs and
    /// spread the expensive variants evenly.
    public func runs(shard index: Int, of count: Int) -> [PlannedRun] {
        precondition(count >= 1 && index >= 0 && index < count)
        return runs.enumerated().filter { $0.offset % count == index }.map(\.element)
    }

    /// The most runs (variants × seeds, counted before de-duplication) a plan may have.
    ///
    /// Far beyond any sweep one machine or a cluster finishes, and small enough
    /// that the expansion takes well under a second and a few hundred MB;
    /// a larger grid is nearly always a typo (a value list pasted into every axis).
    public static let maxRuns = 100_000

    /// Expands and validates `spec`; batch compositions that cannot be drawn are errors.
    ///
    /// The size of the grid is checked before it is expanded: a spec asking
    /// for more than `maxRuns` runs is an error stating its size.
    public init(_ spec: ExperimentSpec) throws {
        self.spec = spec
        try Self.checkSize(spec)
        var drafts: [(VariantDraft, Int?)] = []
        var base = VariantDraft()
        for (a, v) in spec.base { base.set(a, v) }
        self.baseDraft = base
        if spec.sweeps.isEmpty {
            drafts.append((base, nil))
        }
        for sweep in spec.sweeps {
            var grid = [base]
            for (axis, values) in sweep.axes {
                grid = grid.flatMap { d in values.map { v in var e = d; e.set(axis, v); return e } }
            }
            drafts.append(contentsOf: grid.map { ($0, sweep.line) })
        }
        var seen = Set<String>()
        var variants: [Variant] = []
        var skipped: [SkippedCombination] = []
        for (draft, line) in drafts {
            let loss = draft.lossKind, mining = draft.miningKind
            guard supports(loss, mining) else {
                let s = SkippedCombination(loss: loss, mining: mining)
                if !skipped.contains(s) { skipped.append(s) }
                continue
            }
            let configuration = try Self.resolve(draft, spec: spec, line: line)
            let variant = Variant(id: VariantID.of(configuration), configuration: configuration)
            if seen.insert(variant.id).inserted { variants.append(variant) }
        }
        self.variants = variants
        self.skipped = skipped
        if supports(base.lossKind, base.miningKind) {
            let c = try Self.resolve(base, spec: spec, line: nil)
            self.base = Variant(id: VariantID.of(c), configuration: c)
        } else {
            self.base = nil
        }
    }

    /// Counts the runs of `spec` from the lengths of its axes, with overflow checks, without expanding anything.
    static func checkSize(_ spec: ExperimentSpec) throws {
        func tooLarge(_ what: String, line: Int?) -> SpecError {
            SpecError(file: spec.file, line: line, key: "sweeps",
                      message: "the sweeps expand to \(what), more than the limit of \(maxRuns); split the experiment into several files or shorten the value lists")
        }
        var variants = spec.sweeps.isEmpty ? 1 : 0
        for sweep in spec.sweeps {
            var grid = 1
            for (_, values) in sweep.axes {
                let (g, overflow) = grid.multipliedReportingOverflow(by: values.count)
                guard !overflow else { throw tooLarge("more than \(Int.max) variants", line: sweep.line) }
                grid = g
            }
            let (v, overflow) = variants.addingReportingOverflow(grid)
            guard !overflow else { throw tooLarge("more than \(Int.max) variants", line: sweep.line) }
            variants = v
        }
        let (runs, overflow) = variants.multipliedReportingOverflow(by: spec.seeds.count)
        guard !overflow, runs <= maxRuns else {
            let total = overflow ? "more than \(Int.max)" : "\(runs)"
            throw tooLarge("\(variants) variant(s) × \(spec.seeds.count) seed(s) = \(total) runs", line: spec.sweeps.first?.line)
        }
    }

    /// Fills in every default and checks the batch composition.
    static func resolve(_ d: VariantDraft, spec: ExperimentSpec, line: Int?) throws -> RunConfiguration {
        var train = spec.train
        var model = spec.model
        let lossKind = d.lossKind
        guard let registered = LossRegistry.loss(lossKind) else {
            throw SpecError(file: spec.file, line: line, key: "loss", message: "unknown loss '\(lossKind)'")
        }
        // Keys of other losses are ignored, so that sweeping them next to this loss de-duplicates.
        let parameters: [String: ParameterValue]
        do {
            parameters = try registered.resolvedParameters(d.lossParameters)
        } catch let error as LossError {
            let key = registered.parameterKeys.map(\.name).first { "\(error)".contains($0 + " must") } ?? "loss"
            let text = "\(error)"
            throw SpecError(file: spec.file, line: line, key: key, message: text.hasPrefix("\(lossKind):") ? text : "\(lossKind): \(text)")
        }
        let loss = ResolvedLoss(loss: lossKind, mining: d.miningKind, parameters: parameters)
        if let v = d.int(.batchSize) { train.batchSize = v }
        if let v = d.int(.epochs) { train.epochs = v }
        if let v = d.double(.learningRate) { train.learningRate = v }
        if let v = d.double(.weightDecay) { train.weightDecay = v }
        if let v = d.word(.optimizer).flatMap(OptimizerKind.init(rawValue:)) { train.optimizer = v }
        if let v = d.word(.schedule).flatMap(ScheduleKind.init(rawValue:)) { train.schedule = v }
        if let v = d.bool(.normalize) { model.normalize = v }
        if let v = d.word(.model).flatMap(ModelKind.init(rawValue:)) { model.kind = v }
        let b = train.batchSize
        if let k = d.int(.samplesPerClass) {
            guard b % k == 0 else {
                throw SpecError(file: spec.file, line: line, key: "samples_per_class",
                                message: "batch_size \(b) is not a multiple of samples_per_class \(k) (batch = P classes × K samples)")
            }
            train.samplesPerClass = k
        } else if let p = d.int(.classesPerBatch) {
            guard b % p == 0 else {
                throw SpecError(file: spec.file, line: line, key: "classes_per_batch",
                                message: "batch_size \(b) is not a multiple of classes_per_batch \(p) (batch = P classes × K samples)")
            }
            train.samplesPerClass = b / p
        } else {
            guard b % train.samplesPerClass == 0 else {
                throw SpecError(file: spec.file, line: line, key: "batch_size",
                                message: "batch_size \(b) is not a multiple of samples_per_class \(train.samplesPerClass)")
            }
        }
        let k = train.samplesPerClass, p = b / k
        guard k >= 2 else {
            throw SpecError(file: spec.file, line: line, key: "samples_per_class", message: "needs at least 2 samples per class in a batch, or there are no positive pairs")
        }
        guard p >= 2 else {
            throw SpecError(file: spec.file, line: line, key: "batch_size", message: "batch_size \(b) with \(k) samples per class has one class only: no negatives")
        }
        if let classes = spec.dataset.facts.trainClasses, p > classes {
            throw SpecError(file: spec.file, line: line, key: "batch_size",
                            message: "batch_size \(b) with \(k) samples per class needs \(p) classes per batch, but the training split has \(classes); raise samples_per_class or set classes_per_batch")
        }
        let dim = d.int(.embeddingDim) ?? 128
        let configuration = RunConfiguration(dataset: spec.dataset, model: model, train: train, embeddingDim: dim, loss: loss)
        // Sizes whose products overflow a 64-bit count are an error of the spec on every machine;
        // a run merely larger than this machine's memory fails when it runs (TrainingExecutor).
        let declared = MemoryEstimate.declaredShape(of: spec.dataset)
        let estimate = MemoryEstimate(configuration, input: declared.input, samples: declared.samples)
        guard estimate.totalBytes < Double(Int.max) else {
            throw SpecError(file: spec.file, line: line, key: estimate.largestPart,
                            message: "sizes this large overflow a 64-bit count (the run would need \(MemoryEstimate.describe(estimate.totalBytes))); use sizes a machine can hold")
        }
        return configuration
    }
}

/// What a table cell refers to.
public enum CellLookup: Sendable {
    case variant(Variant)
    /// The loss does not support the mining strategy.
    case unsupported
    /// A valid combination the sweeps did not ask for.
    case notPlanned
}

extension ExperimentPlan {
    /// The variant that differs from the base only in `overrides` — or, when
    /// the sweeps never ran that, in `overrides` plus the settings a sweep
    /// fixes to one value (e.g. `classes_per_batch: 4` next to a batch-size grid).
    public func lookup(_ overrides: [(Axis, AxisValue)]) -> CellLookup {
        var contexts: [[(Axis, AxisValue)]] = [[]]
        for sweep in spec.sweeps {
            let fixed = sweep.axes.filter { $0.1.count == 1 }.map { ($0.0, $0.1[0]) }
            if !fixed.isEmpty { contexts.append(fixed) }
        }
        var sawSupported = false
        for context in contexts {
            var d = baseDraft
            for (a, v) in context + overrides { d.set(a, v) }
            guard supports(d.lossKind, d.miningKind) else { continue }
            sawSupported = true
            guard let c = try? Self.resolve(d, spec: spec, line: nil) else { continue }
            let untuned = VariantID.of(c)
            let id = tunedIDs[untuned] ?? untuned
            if let v = variants.first(where: { $0.id == id }) { return .variant(v) }
        }
        return sawSupported ? .notPlanned : .unsupported
    }

    /// The values the spec asks for on `axis`: each sweep's in order, or the base's when no sweep varies it.
    public func requestedValues(of axis: Axis) -> [AxisValue] {
        var out: [AxisValue] = []
        for sweep in spec.sweeps {
            for (a, values) in sweep.axes where a == axis {
                for v in values where !out.contains(v) { out.append(v) }
            }
        }
        let baseValue = baseDraft.values[axis] ?? base?.configuration.value(of: axis)
        if out.isEmpty, let b = baseValue { out.append(b) }
        if out.allSatisfy({ $0.number != nil }) { out.sort(by: AxisValue.precedes) }
        return out
    }

    /// The axes the spec sets in `base` or varies in a sweep, in `Axis` order.
    public var declaredAxes: [Axis] {
        let named = Set(spec.base.map(\.0) + spec.sweeps.flatMap { $0.axes.map(\.0) })
        return Axis.allCases.filter(named.contains)
    }
}

extension VariantDraft {
    /// The loss and mining of the draft; unset, they default to triplet over all triplets.
    var lossKind: LossKind { word(.loss).flatMap(LossKind.init(rawValue:)) ?? .triplet }
    var miningKind: MiningKind { word(.mining).flatMap(MiningKind.init(rawValue:)) ?? .all }

    /// Sets an axis; batch composition is given either as K or as P, the later one wins.
    mutating func set(_ axis: Axis, _ value: AxisValue) {
        if axis == .samplesPerClass { values[.classesPerBatch] = nil }
        if axis == .classesPerBatch { values[.samplesPerClass] = nil }
        values[axis] = value
    }
}
