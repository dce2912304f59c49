import Foundation

/// `tables.md`: the declared ablation tables, cells `mean ± std` over seeds.
public enum MarkdownTables {
    public static func render(_ set: ResultSet) -> String {
        let spec = set.plan.spec
        var out = "# \(spec.name)\n\n"
        if !spec.description.isEmpty { out += spec.description + "\n\n" }
        out += "Seeds: \(spec.seeds.map(String.init).joined(separator: ", ")). Dataset: \(spec.dataset.kind.rawValue) (test on classes unseen in training). "
        out += "Model: \(spec.model.kind.rawValue)"
        if spec.model.kind == .mlp { out += " \(spec.model.hidden.map(String.init).joined(separator: "-"))" }
        out += ", \(spec.train.optimizer.rawValue), learning rate \(MetricID.plainDecimal(spec.train.learningRate)), \(spec.train.epochs) epoch(s).\n\n"
        if let tune = spec.tune {
            let tuned = tune.space.map(\.axis.rawValue).joined(separator: ", ")
            out += "Tuned (\(tune.folds)-fold class-disjoint validation, \(tune.trials) trials per variant, by \(tune.metric)): every cell is its variant at the chosen \(tuned) — see tuning.md; the settings above are the defaults before tuning.\n\n"
        }
        for (i, t) in spec.tables.enumerated() {
            out += table(t, number: i + 1, set) + "\n"
        }
        if !set.plan.skipped.isEmpty {
            out += "Skipped combinations (not supported, DESIGN §4): "
            out += set.plan.skipped.map { "\($0.loss.rawValue) × \($0.mining.rawValue)" }.joined(separator: ", ") + ".\n\n"
        }
        let total = set.plan.runs.count
        let have = set.records.count
        if have < total { out += "**Incomplete:** \(have) of \(total) runs have records.\n\n" }
        if set.foreign > 0 { out += "(\(set.foreign) record(s) in the folder belong to no variant of this spec and are not shown.)\n\n" }
        return out
    }

    static func table(_ t: TableSpec, number: Int, _ set: ResultSet) -> String {
        let plan = set.plan
        let rows = plan.requestedValues(of: t.rows)
        let columns = plan.requestedValues(of: t.columns)
        // Cells and per-column best.
        var cells: [[Cell]] = []
        for r in rows {
            cells.append(columns.map { c in cell(plan.lookup([(t.rows, r), (t.columns, c)]), t.metric, set) })
        }
        // Best per column; a table with a single row compares along the row instead.
        let alongRow = rows.count == 1 && columns.count > 1
        var marks = Array(repeating: Array(repeating: "", count: columns.count), count: rows.count)
        let groups: [[(Int, Int)]] = alongRow
            ? [columns.indices.map { (0, $0) }]
            : columns.indices.map { j in rows.indices.map { ($0, j) } }
        let sign = t.metric.higherIsBetter ? 1.0 : -1.0
        let seeds = plan.spec.seeds
        for group in groups {
            let candidates = group.compactMap { ij -> ((Int, Int), Double)? in cells[ij.0][ij.1].mean.map { (ij, $0) } }
            guard let best = candidates.max(by: { sign * $0.1 < sign * $1.1 }) else { continue }
            marks[best.0.0][best.0.1] = "best"
            // Each other cell against the best, p Holm-adjusted over the group's comparisons (DESIGN §11).
            let top = cells[best.0.0][best.0.1]
            let tested = candidates.compactMap { ij, _ -> ((Int, Int), Double)? in
                guard ij != best.0 else { return nil }
                return comparisonPValue(cells[ij.0][ij.1], top, seeds: seeds).map { (ij, $0) }
            }
            for ((ij, _), p) in zip(tested, Statistics.holm(tested.map(\.1))) where p >= 0.05 {
                marks[ij.0][ij.1] = "tie"
            }
        }
        var fixed: [String] = []
        if let base = plan.base {
            for a in plan.declaredAxes where a != t.rows && a != t.columns {
                fixed.append("\(a.rawValue) = \(base.configuration.value(of: a))")
            }
        }
        var s = "## Table \(number). \(t.metric) by \(t.rows.rawValue) × \(t.columns.rawValue)\n\n"
        s += "| \(t.rows.rawValue) \\ \(t.columns.rawValue) | " + columns.map(\.description).joined(separator: " | ") + " |\n"
        s += "|---|" + columns.map { _ in "---:" }.joined(separator: "|") + "|\n"
        for (i, r) in rows.enumerated() {
            let texts = columns.indices.map { j -> String in
                let text = cells[i][j].text
                switch marks[i][j] {
                case "best": return "**\(text)**"
                case "tie": return "\(text) °"
                default: return text
                }
            }
            s += "| \(r) | " + texts.joined(separator: " | ") + " |\n"
        }
        s += "\n*\(t.metric), mean ± std over seeds (n = runs that finished). "
        if !fixed.isEmpty { s += "Fixed at the base: \(fixed.joined(separator: ", ")). " }
        let scope = alongRow ? "row" : "column"
        s += "**Bold**: best in its \(scope); °: not significantly different from the \(scope)'s best (paired t-test over the seeds both finished, Welch's t-test where fewer than 2 are shared; p Holm-adjusted over the \(scope)'s comparisons; α = 0.05). "
        s += "n/a: the loss does not support that mining; —: not in the sweep; diverged/failed: every run of the cell did.*\n"
        return s
    }

    struct Cell {
        var text: String
        /// The metric of each seed that finished, in the spec's seed order.
        var values: [Double] = []
        /// The same values by seed.
        var bySeed: [UInt64: Double] = [:]
        var mean: Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
    }

    /// The p-value of "cell `a` differs from cell `b`": a paired t-test over the seeds both
    /// finished (same seed, same data order and initialisation), or Welch's t-test on all their
    /// seeds where fewer than two are shared; nil where neither can be computed.
    static func comparisonPValue(_ a: Cell, _ b: Cell, seeds: [UInt64]) -> Double? {
        let shared = seeds.filter { a.bySeed[$0] != nil && b.bySeed[$0] != nil }
        if shared.count >= 2 {
            return Statistics.pairedTPValue(shared.map { a.bySeed[$0]! }, shared.map { b.bySeed[$0]! })
        }
        return Statistics.welchPValue(a.values, b.values)
    }

    static func cell(_ lookup: CellLookup, _ metric: MetricID, _ set: ResultSet) -> Cell {
        switch lookup {
        case .unsupported: return Cell(text: "n/a")
        case .notPlanned: return Cell(text: "—")
        case .variant(let v):
            let records = set.records(of: v)
            let finished = records.filter { $0.status == .ok }.compactMap { r in r.metrics[metric.name].map { (r.seed, $0) } }
            let values = finished.map(\.1)
            let bySeed = Dictionary(finished, uniquingKeysWith: { a, _ in a })
            let diverged = records.filter { $0.status == .diverged }.count
            let failed = records.filter { $0.status == .failed }.count
            guard let s = SampleSummary(values) else {
                if diverged > 0 { return Cell(text: "diverged") }
                if failed > 0 { return Cell(text: "failed") }
                return Cell(text: "pending")
            }
            var text = String(format: "%.3f ± %.3f", s.mean, s.std)
            if s.n < set.plan.spec.seeds.count { text += " (n=\(s.n))" }
            if diverged > 0 { text += " (\(diverged) diverged)" }
            if failed > 0 { text += " (\(failed) failed)" }
            return Cell(text: text, values: values, bySeed: bySeed)
        }
    }
}
