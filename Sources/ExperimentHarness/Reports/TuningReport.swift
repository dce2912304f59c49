import Foundation
import MetricLearning

/// The report of a tuned spec: each variant's chosen hyperparameters, validation and test
/// scores, the budget ledger, paired comparisons, and the sensitivity and progress plots.
///
/// A pure function of the trial records (`<out>/tuning/runs/`) and the final run records.
public struct TuningReport: Sendable {
    public var tuning: TuningPlan
    public var outcomes: [SearchOutcome]
    /// The untuned plan with each completed search's chosen configuration as its variant.
    public var finalPlan: ExperimentPlan

    public init(tuning: TuningPlan, trialRecords: [RunRecord]) {
        self.tuning = tuning
        outcomes = tuning.outcomes(Dictionary(trialRecords.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a }))
        finalPlan = tuning.finalPlan(outcomes)
    }

    /// Reads the trial records of results folder `directory` (none yet is an empty report).
    public static func load(_ plan: ExperimentPlan, directory: String) throws -> TuningReport {
        let tuning = try TuningPlan(plan)
        let store = try Tuner.trialStore(directory, create: false)
        return TuningReport(tuning: tuning, trialRecords: store.records().records)
    }

    /// `tuning.md` and the plots, as (name relative to the results folder, text).
    public func files(_ set: ResultSet) -> [(String, String)] {
        var out = [("tuning.md", markdown(set))]
        for p in tuning.tune.space where outcomes.contains(where: { $0.search.space.contains(p) }) {
            out.append(("plots/tuning-\(tuning.tune.metric)-vs-\(p.axis.rawValue).svg", sensitivityPlot(p).render()))
        }
        out.append(("plots/tuning-progress.svg", progressPlot().render()))
        return out
    }

    /// The settings that tell the sweep variants apart, e.g. `triplet / semihard`.
    func label(_ v: Variant) -> String {
        let plan = tuning.plan
        let swept = Set(plan.spec.sweeps.flatMap { $0.axes.map(\.0) })
        let others = Axis.allCases.filter { a in
            a != .loss && a != .mining && swept.contains(a) && Set(plan.variants.map { $0.configuration.value(of: a) }).count > 1
        }
        return ([Axis.loss, .mining] + others).map { v.configuration.value(of: $0).description }.joined(separator: " / ")
    }

    static func format(_ v: Double?, _ digits: Int = 4) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "–" }

    func describeSearch() -> String {
        let t = tuning.tune
        switch t.search {
        case .random:
            return "random search, \(t.trials) trials per variant at \(tuning.rungs[0].epochs) epoch(s)"
        case .tpe:
            let startup = tuning.waves[0].count
            return "tree-structured Parzen estimator (\(t.multivariate ? "one joint density over the settings" : "independent per setting"), γ = \(TreeParzenEstimator.gamma), \(TreeParzenEstimator.candidates) candidates), \(t.trials) trials per variant at \(tuning.rungs[0].epochs) epoch(s): \(startup) random start-up trials, then waves of \(TuneSpec.tpeWave) drawn from the trials finished before them"
        case .halving:
            let rungs = tuning.rungs.map { "\($0.trials) × \($0.epochs) ep" }.joined(separator: " → ")
            return "successive halving (η = \(TuneSpec.halvingFactor), each rung retrains the best third from scratch): \(rungs)"
        }
    }

    func markdown(_ set: ResultSet) -> String {
        let t = tuning.tune, spec = tuning.plan.spec
        let metric = t.metric
        var lines: [String] = ["# Tuning report: \(spec.name)", ""]
        let seeds = spec.seeds.map(String.init).joined(separator: ", ")
        lines.append("Protocol: \(t.folds) class-disjoint validation folds of the training classes (assigned by a permutation seeded with \(tuning.trialSeed)); \(describeSearch()); every variant gets the same budget. Each trial trains on the training classes outside its fold and is scored by \(metric) on the fold's classes; the trial with the best mean over folds is chosen. Only then is the chosen configuration trained on all training classes with seeds [\(seeds)] and evaluated once on the test classes.")
        lines.append("")
        lines.append("## Chosen configurations")
        lines.append("")
        lines.append("| variant | chosen | validation \(metric) (mean over folds) | test \(metric) mean ± 95% CI (n) | final variant |")
        lines.append("|---|---|---|---|---|")
        for o in outcomes {
            guard let chosen = o.chosen, let v = o.chosenVariant else {
                lines.append("| \(label(o.search.variant)) | search not complete | – | – | – |")
                continue
            }
            let values = o.search.trials[chosen.trial].values.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
            let test = SampleSummary(set.values(metric, of: v))
            let testText = test.map { "\(Self.format($0.mean)) ± \(Self.format($0.ci95)) (\($0.n))" } ?? "not run yet"
            lines.append("| \(label(o.search.variant)) | trial \(chosen.trial): \(values) | \(Self.format(chosen.mean)) | \(testText) | \(v.id) |")
        }
        lines.append("")
        lines.append("## Budget ledger")
        lines.append("")
        lines.append("| variant | trials | trial runs | samples trained | wall time (s) | tuned | left out (does not apply) |")
        lines.append("|---|---|---|---|---|---|---|")
        for o in outcomes {
            let tuned = o.search.space.map(\.axis.rawValue).joined(separator: ", ")
            let left = o.search.leftOut.isEmpty ? "–" : o.search.leftOut.map(\.rawValue).joined(separator: ", ")
            lines.append("| \(label(o.search.variant)) | \(t.trials) | \(o.trainedRuns) | \(String(format: "%.0f", o.samplesTrained)) | \(String(format: "%.1f", o.wallSeconds)) | \(tuned) | \(left) |")
        }
        lines.append("")
        lines += comparisons(set)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Each variant against the best by test mean, paired over the seeds both finished.
    func comparisons(_ set: ResultSet) -> [String] {
        let metric = tuning.tune.metric, seeds = tuning.plan.spec.seeds
        let sign = metric.higherIsBetter ? 1.0 : -1.0
        let finished = outcomes.compactMap { o -> (String, [UInt64: Double])? in
            guard let v = o.chosenVariant else { return nil }
            var bySeed: [UInt64: Double] = [:]
            for r in set.records(of: v) where r.status == .ok { bySeed[r.seed] = r.metrics[metric.name] }
            return bySeed.isEmpty ? nil : (label(o.search.variant), bySeed)
        }
        guard finished.count >= 2 else { return [] }
        let mean = { (d: [UInt64: Double]) in d.values.reduce(0, +) / Double(d.count) }
        let best = finished.max { sign * mean($0.1) < sign * mean($1.1) }!
        var rows: [(String, [Double], [Double], Double?)] = []
        for (name, values) in finished where name != best.0 {
            let shared = seeds.filter { values[$0] != nil && best.1[$0] != nil }
            let a = shared.map { values[$0]! }, b = shared.map { best.1[$0]! }
            rows.append((name, a, b, Statistics.pairedTPValue(a, b)))
        }
        let tested = rows.compactMap(\.3)
        let adjusted = Statistics.holm(tested)
        var next = 0
        var lines = ["## Paired comparisons (test \(metric))", ""]
        lines.append("Each variant against the best by test mean (\(best.0)). Paired t-test over the seeds both finished (same seed = same data order and initialisation); p adjusted by Holm–Bonferroni over the \(tested.count) comparison(s) of this table; 95% CI of the mean paired difference by percentile bootstrap (2000 resamples, seed 0); d_z = mean difference / std of the differences; P(superior) = fraction of seeds on which the variant beats the best (ties count half).")
        lines.append("")
        lines.append("| variant | Δ mean vs best | 95% bootstrap CI | p (paired t) | p (Holm) | d_z | P(superior) | seeds |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for (name, a, b, p) in rows {
            let d = zip(a, b).map { $0 - $1 }
            let ci = Statistics.bootstrapCI(d, seed: 0)
            var holm: Double?
            if p != nil { holm = adjusted[next]; next += 1 }
            let ciText = ci.map { "[\(Self.format($0.lowerBound)), \(Self.format($0.upperBound))]" } ?? "–"
            let dMean = d.isEmpty ? nil : d.reduce(0, +) / Double(d.count)
            lines.append("| \(name) | \(Self.format(dMean)) | \(ciText) | \(Self.format(p, 3)) | \(Self.format(holm, 3)) | \(Self.format(Statistics.pairedCohensD(a, b), 2)) | \(Self.format(Statistics.probabilityOfSuperiority(a, b), 2)) | \(d.count) |")
        }
        lines.append("")
        return lines
    }

    /// The plotted position of a drawn value: numbers as they are, booleans 0/1, words by their place in the choice.
    static func position(_ v: AxisValue, _ p: TuneParameter) -> Double {
        if let x = v.number { return x }
        if case .bool(let b) = v { return b ? 1 : 0 }
        if case .choice(let values) = p.distribution, let i = values.firstIndex(of: v) { return Double(i) }
        return .nan
    }

    /// Mean validation score of every first-rung trial against the value drawn for `p`, one series per variant.
    func sensitivityPlot(_ p: TuneParameter) -> LinePlot {
        let metric = tuning.tune.metric
        var series: [PlotSeries] = []
        for o in outcomes where o.search.space.contains(p) {
            let points = (o.rungs.first ?? []).compactMap { s -> PlotPoint? in
                guard let m = s.mean, let v = o.search.trials[s.trial].values.first(where: { $0.0 == p.axis })?.1 else { return nil }
                return PlotPoint(x: Self.position(v, p), y: m)
            }.sorted { $0.x < $1.x }
            series.append(PlotSeries(name: label(o.search.variant), points: points))
        }
        var ticks: [Double]?
        var note = ""
        if case .choice(let values) = p.distribution, values.contains(where: { $0.number == nil }) {
            ticks = values.indices.map(Double.init)
            note = " Positions: " + values.enumerated().map { "\($0.offset) = \($0.element)" }.joined(separator: ", ") + "."
        }
        let rung = tuning.rungs[0]
        return LinePlot(
            title: "Validation \(metric.title) vs \(p.axis.rawValue) — \(tuning.plan.spec.name)",
            subtitle: ["Each dot: one trial's mean over \(tuning.tune.folds) validation folds (\(rung.epochs) epoch(s)); diverged trials are not drawn.\(note)"],
            x: PlotAxis(title: p.axis.rawValue + (p.distribution.isLogarithmic ? " (log scale)" : ""), scale: p.distribution.isLogarithmic ? .log10 : .linear, ticks: ticks),
            y: PlotAxis(title: "validation " + metric.title),
            series: series, style: .scatter, legendTitle: "variant")
    }

    /// The best mean validation score after each trial (first rung), one line per variant.
    func progressPlot() -> LinePlot {
        let series = outcomes.map { o in
            PlotSeries(name: label(o.search.variant), points: o.bestSoFar(higherIsBetter: tuning.tune.metric.higherIsBetter).enumerated().map { PlotPoint(x: Double($0.offset + 1), y: $0.element ?? .nan) })
        }
        return LinePlot(
            title: "Search progress — \(tuning.plan.spec.name)",
            subtitle: ["Best mean validation \(tuning.tune.metric.title) over \(tuning.tune.folds) folds after each trial (\(describeSearch()))."],
            x: PlotAxis(title: "trials", integral: true),
            y: PlotAxis(title: "best validation " + tuning.tune.metric.title),
            series: series, legendTitle: "variant")
    }
}
