import Foundation
import Training

/// The SVG plots of a results folder (DESIGN §9), a pure function of the run records and the spec.
///
/// Every plot is drawn only when its data exists: metric-vs-axis plots need a
/// swept numeric axis, Recall@K curves at least two K, ROC curves and 2-D maps
/// records that carry them. Variants whose runs all diverged or failed are left
/// out (a gap in the line, never a zero) and named in the subtitle.
public enum PlotReport {
    /// A rendered plot and its file name (no folder).
    public struct Plot: Sendable {
        public var name: String
        public var plot: LinePlot
        public var svg: String { plot.render() }
    }

    /// Every plot the data supports, in a stable order.
    public static func plots(_ set: ResultSet) -> [Plot] {
        var out: [Plot] = []
        let metrics = set.plan.spec.metrics.filter(\.isPlottedAgainstAxes)
        for axis in sweptAxes {
            for metric in metrics {
                out += metricVsAxis(set, metric: metric, axis: axis)
            }
        }
        if let p = recallAtK(set) { out.append(p) }
        if let p = roc(set) { out.append(p) }
        if let p = trainingCurve(set, name: "training-loss", quantity: "Training loss", yTitle: "training loss (mean over batches)",
                                 perStep: \.loss, perEpoch: \.loss) { out.append(p) }
        if let p = trainingCurve(set, name: "active-fraction", quantity: "Active fraction", yTitle: "fraction of tuples with non-zero loss",
                                 perStep: \.activeFraction, perEpoch: \.activeFraction) { out.append(p) }
        out += maps(set)
        return out
    }

    /// The numeric axes a metric is plotted against when the spec sweeps them.
    static let sweptAxes: [Axis] = [.embeddingDim, .batchSize, .samplesPerClass, .classesPerBatch, .margin]

    // MARK: - Metric against a swept axis

    /// `metric` against `axis`, one line per loss (and, when mining is swept too, one plot with a line per mining).
    static func metricVsAxis(_ set: ResultSet, metric: MetricID, axis: Axis) -> [Plot] {
        let plan = set.plan
        let xs = plan.requestedValues(of: axis)
        guard xs.count > 1, xs.allSatisfy({ $0.number != nil }) else { return [] }
        var out: [Plot] = []
        for group in [Axis.loss, .mining] where group != axis {
            let groups = plan.requestedValues(of: group)
            if group == .mining && groups.count < 2 { continue }
            var series: [PlotSeries] = []
            var notes: [String] = []
            var fallbacks: [String] = []
            for g in groups {
                var points: [PlotPoint] = []
                var label = g.description
                for x in xs {
                    guard let (variant, used) = variant(plan, [(group, g), (axis, x)], fallbackMining: group != .mining),
                          variant.configuration.value(of: axis).number == x.number else { continue }
                    if let used, !fallbacks.contains("\(g) with mining \(used)") {
                        fallbacks.append("\(g) with mining \(used)")
                        label = "\(g) (\(used))"
                    }
                    let o = outcome(set, variant, metric)
                    if let s = o.summary {
                        points.append(PlotPoint(x: x.number!, y: s.mean, error: s.n > 1 ? s.std : nil))
                    } else {
                        points.append(PlotPoint(x: x.number!, y: .nan))
                    }
                    if let note = o.note { notes.append("\(g) at \(axis.rawValue) = \(x): \(note)") }
                }
                if points.contains(where: { $0.y.isFinite }) || !points.isEmpty && !notes.isEmpty {
                    series.append(PlotSeries(name: label, points: points))
                }
            }
            let lines = series.filter { $0.points.filter { $0.y.isFinite }.count >= 2 }.count
            guard lines >= (group == .mining ? 2 : 1) else { continue }
            let xValues = xs.compactMap(\.number)
            let logX = xValues.allSatisfy { $0 > 0 } && xValues.max()! / xValues.min()! >= 4
            var subtitle = ["Mean ± std over seeds (\(set.plan.spec.seeds.count) planned). " + fixedText(plan, except: [axis, group])]
            if !fallbacks.isEmpty { subtitle.append("Base mining unsupported, shown instead: " + fallbacks.joined(separator: ", ") + ".") }
            if !notes.isEmpty { subtitle.append("Not drawn: " + notes.joined(separator: "; ") + ".") }
            let name = "\(metric)-vs-\(axis.rawValue)" + (group == .loss ? "" : "-by-\(group.rawValue)")
            out.append(Plot(name: name + ".svg", plot: LinePlot(
                title: "\(metric.title) vs \(axisTitle(axis)) — \(plan.spec.name)",
                subtitle: subtitle,
                x: PlotAxis(title: axisTitle(axis) + (logX ? " (log scale)" : ""), scale: logX ? .log2 : .linear, ticks: xValues),
                y: PlotAxis(title: metric.title),
                series: series, legendTitle: group.rawValue)))
        }
        return out
    }

    // MARK: - Per-loss plots of the base-like variants

    /// Recall@K against K for each loss's base-like variant.
    static func recallAtK(_ set: ResultSet) -> Plot? {
        let ks = set.plan.spec.recallK.sorted()
        guard ks.count >= 2 else { return nil }
        var series: [PlotSeries] = []
        var notes: [String] = []
        for (label, variant) in baseLike(set.plan) {
            let points = ks.map { k -> PlotPoint in
                guard let s = outcome(set, variant, .recall(k)).summary else { return PlotPoint(x: Double(k), y: .nan) }
                return PlotPoint(x: Double(k), y: s.mean, error: s.n > 1 ? s.std : nil)
            }
            if let note = outcome(set, variant, .recall(ks[0])).note { notes.append("\(label): \(note)") }
            if points.contains(where: { $0.y.isFinite }) { series.append(PlotSeries(name: label, points: points)) }
        }
        guard !series.isEmpty else { return nil }
        var subtitle = ["Each loss at the base settings; mean ± std over seeds. " + fixedText(set.plan, except: [.loss], shown: baseLike(set.plan).map(\.variant))]
        if !notes.isEmpty { subtitle.append("Not drawn: " + notes.joined(separator: "; ") + ".") }
        let logK = Double(ks.last!) / Double(ks.first!) >= 4
        return Plot(name: "recall-at-k.svg", plot: LinePlot(
            title: "Recall@K on unseen classes — \(set.plan.spec.name)", subtitle: subtitle,
            x: PlotAxis(title: "K" + (logK ? " (log scale)" : ""), scale: logK ? .log2 : .linear, ticks: ks.map(Double.init), integral: true),
            y: PlotAxis(title: "Recall@K"), series: series, legendTitle: "loss"))
    }

    /// VAL against FAR (log x) for one run of each loss's base-like variant.
    static func roc(_ set: ResultSet) -> Plot? {
        var curves: [(String, RunRecord)] = []
        var notes: [String] = []
        for (label, variant) in baseLike(set.plan) {
            if let r = representative(set, variant), !r.roc.isEmpty { curves.append((label, r)) }
            else if let note = outcome(set, variant, nil).note { notes.append("\(label): \(note)") }
        }
        guard !curves.isEmpty else { return nil }
        let smallest = curves.flatMap { $0.1.roc.map(\.x) }.filter { $0 > 0 }.min() ?? 1e-5
        let lo = pow(10, floor(log10(max(1e-5, smallest))))
        guard lo < 1 else { return nil }
        let series = curves.map { label, record in
            PlotSeries(name: label, points: thinned(record.roc.filter { $0.x >= lo && $0.x <= 1 }).map { PlotPoint(x: $0.x, y: $0.y) })
        }
        let seeds = Set(curves.map(\.1.seed)).sorted().map(String.init).joined(separator: ", ")
        var subtitle = ["All test pairs, squared euclidean distance; one run per loss (seed \(seeds)). " + fixedText(set.plan, except: [.loss], shown: baseLike(set.plan).map(\.variant))]
        if !notes.isEmpty { subtitle.append("Not drawn: " + notes.joined(separator: "; ") + ".") }
        return Plot(name: "roc.svg", plot: LinePlot(
            title: "ROC on unseen classes: VAL vs FAR — \(set.plan.spec.name)", subtitle: subtitle,
            x: PlotAxis(title: "FAR (false accept rate, log scale)", scale: .log10, range: lo...1),
            y: PlotAxis(title: "VAL (validation rate)", range: 0...1),
            series: series, legendTitle: "loss",
            references: set.plan.spec.fars.map { .init(x: $0, label: "FAR = \(MetricID.plainDecimal($0))") }))
    }

    /// A training statistic of each loss's base-like variant: per step when every record keeps its loss
    /// curve (the seeds' mean as a line, their min–max as a band), else per epoch (mean ± std; older records).
    static func trainingCurve(_ set: ResultSet, name: String, quantity: String, yTitle: String,
                              perStep: KeyPath<StepRecord, Double>, perEpoch: KeyPath<EpochRecord, Double>) -> Plot? {
        let variants = baseLike(set.plan)
        let finished = variants.map { set.records(of: $0.variant).filter { $0.status == .ok } }
        let stepwise = finished.contains { !$0.isEmpty } && finished.allSatisfy { $0.allSatisfy { !($0.curve ?? []).isEmpty } }
        var series: [PlotSeries] = []
        var notes: [String] = []
        for ((label, variant), ok) in zip(variants, finished) {
            if let note = outcome(set, variant, nil).note { notes.append("\(label): \(note)") }
            let points: [PlotPoint]
            if stepwise {
                let steps = Set(ok.flatMap { ($0.curve ?? []).map(\.step) }).sorted()
                points = steps.compactMap { step -> PlotPoint? in
                    let vs = ok.compactMap { $0.curve?.first { $0.step == step }?[keyPath: perStep] }.filter(\.isFinite)
                    guard let s = SampleSummary(vs) else { return nil }
                    return PlotPoint(x: Double(step), y: s.mean, band: vs.count > 1 ? vs.min()!...vs.max()! : nil)
                }
            } else {
                let epochs = Set(ok.flatMap { $0.epochs.map(\.epoch) }).sorted()
                points = epochs.compactMap { e -> PlotPoint? in
                    let vs = ok.compactMap { $0.epochs.first { $0.epoch == e }?[keyPath: perEpoch] }.filter(\.isFinite)
                    guard let s = SampleSummary(vs) else { return nil }
                    return PlotPoint(x: Double(e), y: s.mean, error: s.n > 1 ? s.std : nil)
                }
            }
            if !points.isEmpty { series.append(PlotSeries(name: label, points: points)) }
        }
        guard !series.isEmpty else { return nil }
        let fixed = fixedText(set.plan, except: [.loss], shown: variants.map(\.variant))
        var subtitle: [String]
        if stepwise {
            let stride = finished.lazy.flatMap { $0 }.first?.curve?.first?.steps ?? 1
            subtitle = ["Each loss at the base settings; line: mean over the seeds that finished, band: their min–max; "
                        + "each point averages \(stride) step\(stride == 1 ? "" : "s"). " + fixed]
        } else {
            subtitle = ["Each loss at the base settings; mean ± std over the seeds that finished (records without a per-step curve). " + fixed]
        }
        if !notes.isEmpty { subtitle.append("Not drawn: " + notes.joined(separator: "; ") + ".") }
        // Losses differ by orders of magnitude (lifted vs triplet): a log axis keeps every curve readable.
        let ys = series.flatMap { $0.points.map(\.y) }
        let logY = ys.allSatisfy { $0 > 0 } && ys.max()! / ys.min()! > 20
        return Plot(name: name + ".svg", plot: LinePlot(
            title: "\(quantity) per \(stepwise ? "step" : "epoch") — \(set.plan.spec.name)", subtitle: subtitle,
            x: PlotAxis(title: stepwise ? "training step" : "epoch", integral: true),
            y: PlotAxis(title: yTitle + (logY ? " (log scale)" : ""), scale: logY ? .log10 : .linear),
            series: series, legendTitle: "loss"))
    }

    /// A scatter of the 2-D PCA map of the unseen-class test embeddings, one plot per loss.
    static func maps(_ set: ResultSet) -> [Plot] {
        var out: [Plot] = []
        let names = set.plan.spec.dataset.facts.classNames
        for (label, variant) in baseLike(set.plan) {
            guard let r = representative(set, variant), !r.map2D.isEmpty else { continue }
            let labels = Set(r.map2D.compactMap(\.label)).sorted()
            var series = labels.map { l in
                PlotSeries(name: names.map { l >= 0 && Int(l) < $0.count ? "\(l) \($0[Int(l)])" : "class \(l)" } ?? "class \(l)",
                           points: r.map2D.filter { $0.label == l }.map { PlotPoint(x: $0.x, y: $0.y) })
            }
            let unlabelled = r.map2D.filter { $0.label == nil }
            if !unlabelled.isEmpty { series.append(PlotSeries(name: "unlabelled", points: unlabelled.map { PlotPoint(x: $0.x, y: $0.y) })) }
            var subtitle = ["\(r.map2D.count) test points of classes unseen in training, first two principal components of the embeddings (seed \(r.seed)). " + fixedText(set.plan, except: [.loss], shown: [variant])]
            if labels.count > Palette.okabeIto.count { subtitle.append("\(labels.count) classes: colours repeat every \(Palette.okabeIto.count) classes.") }
            out.append(Plot(name: "map-\(variant.configuration.loss.loss.rawValue).svg", plot: LinePlot(
                title: "Test embeddings of \(label), unseen classes — \(set.plan.spec.name)", subtitle: subtitle,
                x: PlotAxis(title: "principal component 1"), y: PlotAxis(title: "principal component 2"),
                series: series, style: .scatter, legendTitle: "class", width: 640, height: 560)))
        }
        return out
    }

    // MARK: - Helpers

    /// What became of a variant's runs: the metric's summary over the successful seeds and, when some did not succeed, a note.
    static func outcome(_ set: ResultSet, _ variant: Variant, _ metric: MetricID?) -> (summary: SampleSummary?, note: String?) {
        let records = set.records(of: variant)
        let summary = metric.map { SampleSummary(set.values($0, of: variant)) } ?? nil
        let diverged = records.filter { $0.status == .diverged }.count
        let failed = records.filter { $0.status == .failed }.count
        let planned = set.plan.spec.seeds.count
        var parts: [String] = []
        if diverged > 0 { parts.append("\(diverged) of \(planned) runs diverged") }
        if failed > 0 { parts.append("\(failed) of \(planned) runs failed") }
        if records.isEmpty { parts.append("no runs recorded") }
        return (summary, parts.isEmpty ? nil : parts.joined(separator: ", "))
    }

    /// The variant for `overrides`; when there is none at the base mining (unsupported by the loss, or not
    /// in the sweeps), the variant with the first mining that has one ("all" first), and that mining.
    static func variant(_ plan: ExperimentPlan, _ overrides: [(Axis, AxisValue)], fallbackMining: Bool) -> (Variant, String?)? {
        if case .variant(let v) = plan.lookup(overrides) { return (v, nil) }
        guard fallbackMining else { return nil }
        for m in [AxisValue.string("all")] + plan.requestedValues(of: .mining) {
            if case .variant(let v) = plan.lookup(overrides + [(.mining, m)]) { return (v, m.description) }
        }
        return nil
    }

    /// Each loss's variant at the base settings, labelled by the loss (and the mining, when it differs from the base's).
    static func baseLike(_ plan: ExperimentPlan) -> [(label: String, variant: Variant)] {
        plan.requestedValues(of: .loss).compactMap { loss in
            guard let (v, used) = variant(plan, [(.loss, loss)], fallbackMining: true) else { return nil }
            return (used.map { "\(loss) (\($0))" } ?? loss.description, v)
        }
    }

    /// The run shown for a variant: the first seed's, or the first successful one.
    static func representative(_ set: ResultSet, _ variant: Variant) -> RunRecord? {
        set.records(of: variant).first { $0.status == .ok }
    }

    /// At most about 400 points of a long curve, evenly spread in log₁₀ x, keeping each bin's last (highest) point.
    static func thinned(_ points: [CurvePoint]) -> [CurvePoint] {
        guard points.count > 400, let lo = points.first(where: { $0.x > 0 })?.x, let hi = points.last?.x, hi > lo else { return points }
        let a = log10(lo), b = log10(hi)
        let bins = points.map { $0.x > 0 ? Int((log10($0.x) - a) / (b - a) * 400) : -1 }
        return points.indices.filter { $0 == 0 || $0 == points.count - 1 || bins[$0] != bins[$0 + 1] }.map { points[$0] }
    }

    /// "Other settings at the base: mining = semihard, batch_size = 128." for the declared axes not plotted.
    static func fixedText(_ plan: ExperimentPlan, except: [Axis]) -> String {
        guard let base = plan.base else { return "" }
        return fixedText(plan, except: except, shown: [base])
    }

    /// The declared axes, other than `except`, on which all `shown` variants agree, with their common value.
    static func fixedText(_ plan: ExperimentPlan, except: [Axis], shown: [Variant]) -> String {
        guard let first = shown.first else { return "" }
        let fixed = plan.declaredAxes.filter { a in
            !except.contains(a) && shown.allSatisfy { $0.configuration.value(of: a) == first.configuration.value(of: a) }
        }.map { "\($0.rawValue) = \(first.configuration.value(of: $0))" }
        return fixed.isEmpty ? "" : "Other settings: " + fixed.joined(separator: ", ") + "."
    }

    static func axisTitle(_ a: Axis) -> String {
        switch a {
        case .embeddingDim: return "embedding dimension"
        case .batchSize: return "batch size"
        case .samplesPerClass: return "samples per class (K)"
        case .classesPerBatch: return "classes per batch (P)"
        default: return a.rawValue.replacingOccurrences(of: "_", with: " ")
        }
    }
}
