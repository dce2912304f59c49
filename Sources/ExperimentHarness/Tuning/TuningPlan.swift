import Foundation
import MetricLearning
import NumericCore
import Training

/// The tuning stage of a spec with `tune:`: every variant's search, its trial runs and its folds.
///
/// Pure and deterministic: the draws of trial t of variant v come from a
/// generator keyed by (the spec's first seed, v's id, t), so a resumed,
/// sharded or re-planned search draws the same values.
///
/// `tpe` draws only its start-up trials here (the same values as `random`'s first trials);
/// each later wave is drawn from the finished trials before it (see `outcomes`).
public struct TuningPlan: Sendable {
    public var plan: ExperimentPlan
    public var tune: TuneSpec
    /// Every variant's search with the trials the spec alone determines (all of them, except `tpe`'s after its start-up).
    public var searches: [VariantSearch]
    public var rungs: [Rung]
    /// The trials that run together, in order: `tpe`'s start-up trials, then its waves;
    /// every trial at once for `random` and `halving` (whose stages are its rungs).
    public var waves: [Range<Int>]

    /// The seed of every trial (the spec's first seed): trials of one fold share data order and initialisation.
    public var trialSeed: UInt64 { plan.spec.seeds[0] }

    public init(_ plan: ExperimentPlan) throws {
        guard let tune = plan.spec.tune else { preconditionFailure("TuningPlan of a spec without tune:") }
        self.plan = plan
        self.tune = tune
        rungs = Self.rungs(search: tune.search, trials: tune.trials, epochs: plan.spec.train.epochs)
        waves = Self.waves(search: tune.search, trials: tune.trials)
        let seed = plan.spec.seeds[0]
        let drawnUpFront = waves[0].count
        searches = try plan.variants.map { variant in
            let applies = tune.space.filter { Self.applies($0.axis, to: variant.configuration) }
            let leftOut = tune.space.map(\.axis).filter { a in !applies.contains { $0.axis == a } }
            if tune.search == .tpe {
                // The estimator draws anywhere in the ranges: check now that the loss takes their ends and every choice.
                for p in applies {
                    for value in Self.extremes(p.distribution) {
                        do {
                            _ = try variant.configuration.setting(p.axis, value)
                        } catch {
                            throw SpecError(file: plan.spec.file, line: p.line, key: p.axis.rawValue,
                                            message: "tpe may draw \(value) for \(variant.configuration.loss.loss)/\(variant.configuration.loss.mining), which is rejected: \(error); narrow the range")
                        }
                    }
                }
            }
            let trials = try (0..<drawnUpFront).map { t -> Trial in
                var rng = Self.generator(seed: seed, variantID: variant.id, trial: t)
                // Every setting is drawn, applicable or not, so the draws of one do not depend on which others apply.
                let drawn = tune.space.map { ($0, Self.draw($0.distribution, &rng)) }
                let values = drawn.filter { p in applies.contains(p.0) }.map { ($0.0.axis, $0.1) }
                var c = variant.configuration
                for (p, value) in drawn where applies.contains(p) {
                    do {
                        c = try c.setting(p.axis, value)
                    } catch {
                        throw SpecError(file: plan.spec.file, line: p.line, key: p.axis.rawValue,
                                        message: "trial \(t) of \(variant.configuration.loss.loss)/\(variant.configuration.loss.mining) drew \(value), which is rejected: \(error); narrow the range")
                    }
                }
                return Trial(index: t, values: values, configuration: c)
            }
            return VariantSearch(variant: variant, space: applies, leftOut: leftOut, trials: trials)
        }
    }

    /// Whether tuning `axis` changes `configuration`: a loss parameter applies only to the losses that have it.
    static func applies(_ axis: Axis, to configuration: RunConfiguration) -> Bool {
        guard case .parameter(let key) = axis else { return true }
        return LossRegistry.loss(configuration.loss.loss)?.parameterKeys.contains { $0.name == key } ?? false
    }

    /// The generator of trial `trial` of variant `variantID`.
    static func generator(seed: UInt64, variantID: String, trial: Int) -> SplitMix64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in variantID.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return SplitMix64.derived(seed: seed ^ h, stream: UInt64(trial) &+ 0x5452_4941_4C00)
    }

    /// The generator of `tpe`'s draw of trial `trial` of variant `variantID`: keyed by the same
    /// (seed, id, trial) as `generator` and the tag "tpe", so it is independent of the random draws.
    static func tpeGenerator(seed: UInt64, variantID: String, trial: Int) -> SplitMix64 {
        var g = generator(seed: seed, variantID: variantID, trial: trial)
        return SplitMix64.derived(seed: g.next(), stream: 0x0074_7065)
    }

    /// `v` rounded to 4 significant digits, so ids and reports stay readable.
    static func rounded(_ v: Double) -> Double { Double(String(format: "%.4g", v)) ?? v }

    /// A value of `distribution`; reals are rounded to 4 significant digits.
    static func draw(_ distribution: TuneDistribution, _ rng: inout SplitMix64) -> AxisValue {
        switch distribution {
        case .logUniform(let lo, let hi):
            return .double(rounded(exp(log(lo) + rng.nextUniform() * (log(hi) - log(lo)))))
        case .uniform(let lo, let hi):
            return .double(rounded(lo + rng.nextUniform() * (hi - lo)))
        case .intUniform(let lo, let hi):
            return .int(lo + rng.nextInt(below: hi - lo + 1))
        case .choice(let values):
            return values[rng.nextInt(below: values.count)]
        }
    }

    /// The rungs of a search. `random`: one rung, every trial at the spec's epochs.
    /// `halving` (factor η = 3): R = 1 + min(⌊log₃ trials⌋, ⌊log₃ epochs⌋) rungs; rung r trains
    /// ⌈trials / 3^r⌉ trials (the best of rung r − 1, retrained from scratch) for epochs / 3^(R−1−r) epochs.
    public static func rungs(search: SearchKind, trials: Int, epochs: Int) -> [Rung] {
        switch search {
        case .random, .tpe:
            return [Rung(trials: trials, epochs: epochs)]
        case .halving:
            let eta = TuneSpec.halvingFactor
            func floorLog(_ n: Int) -> Int { var k = 0, p = eta; while p <= n { k += 1; p *= eta }; return k }
            let count = 1 + min(floorLog(trials), floorLog(epochs))
            return (0..<count).map { r in
                var power = 1
                for _ in 0..<r { power *= eta }
                var down = 1
                for _ in 0..<(count - 1 - r) { down *= eta }
                return Rung(trials: (trials + power - 1) / power, epochs: max(1, epochs / down))
            }
        }
    }

    /// The waves of a search. `tpe`: the first `TuneSpec.tpeStartup(trials:)` trials are random
    /// draws, then waves of `TuneSpec.tpeWave` trials, each drawn from the trials finished before it.
    /// The waves are fixed by the spec, not by the jobs or shards running them, so the draws are too.
    /// `random` and `halving`: one wave of every trial.
    public static func waves(search: SearchKind, trials: Int) -> [Range<Int>] {
        switch search {
        case .random, .halving:
            return [0..<trials]
        case .tpe:
            let startup = TuneSpec.tpeStartup(trials: trials)
            return [0..<startup] + stride(from: startup, to: trials, by: TuneSpec.tpeWave).map { $0..<min($0 + TuneSpec.tpeWave, trials) }
        }
    }

    /// The stages of the tuning run, each planned once the ones before it are complete: the rungs (`halving`), the waves (`tpe`).
    public var stages: Int { tune.search == .tpe ? waves.count : rungs.count }

    /// The values a range or choice can take that are most likely to be rejected: its ends, every choice.
    static func extremes(_ distribution: TuneDistribution) -> [AxisValue] {
        switch distribution {
        case .logUniform(let lo, let hi), .uniform(let lo, let hi): return [.double(rounded(lo)), .double(rounded(hi))]
        case .intUniform(let lo, let hi): return [.int(lo), .int(hi)]
        case .choice(let values): return values
        }
    }

    /// The id of trial `trial` of `search` at `rung` on `fold`: `<variant>-t<trial>[-r<rung>]-f<fold>`.
    public func trialID(_ search: VariantSearch, trial: Int, rung: Int, fold: Int) -> String {
        let r = rungs.count > 1 ? "-r\(rung)" : ""
        return "\(search.variant.id)-t\(trial)\(r)-f\(fold)"
    }

    /// The fold of a trial id written by `trialID` (its `-f<fold>` suffix).
    public static func fold(ofTrialID id: String) -> Int {
        guard let r = id.range(of: "-f", options: .backwards), let f = Int(id[r.upperBound...]) else {
            preconditionFailure("'\(id)' is not a trial id")
        }
        return f
    }

    /// The runs of `trials` of `search` at `rung`, one per fold.
    public func runs(_ search: VariantSearch, trials: [Int], rung: Int) -> [PlannedRun] {
        trials.flatMap { t in
            (0..<tune.folds).map { f in
                var c = search.trials[t].configuration
                c.train.epochs = rungs[rung].epochs
                return PlannedRun(variant: Variant(id: trialID(search, trial: t, rung: rung, fold: f), configuration: c), seed: trialSeed)
            }
        }
    }
}
