import Foundation

extension ResultComparison {
    /// The rule `compare` applies, in words (for the reports).
    public static let noiseRule = "a mean moved beyond seed noise when Welch's t-test on its mean, std and n over seeds (summary.csv) gives a p-value that the Benjamini–Hochberg step over all compared means rejects at q = 0.05 (with seed noise alone, at most a 5% chance that any mean is flagged); a moved mean with no spread to test against (one seed, or equal seeds) counts as beyond noise. Each move is shown against the larger of the two 95% CI half-widths"

    /// The verdict in one line, naming what moved (and by how much against its CI) or what differs.
    public func verdictLine() -> String {
        let variants = Set(rows.map(\.variantID)).count
        let metrics = Set(rows.map(\.metric)).count
        switch verdict {
        case .bitIdentical:
            let runs = runsCompared > 0 ? ", and all \(runsCompared) runs' metrics equal to the last bit"
                                        : " (run records not in both folders: compared summary.csv only)"
            return "verdict: bit-identical — \(variants) variants × \(metrics) metrics, every summary.csv mean, std and CI equal\(runs)"
        case .withinNoise:
            let moved = self.moved
            var parts: [String] = []
            for metric in orderedMetrics(moved) {
                let rs = moved.filter { $0.metric == metric }
                let largest = rs.max { abs($0.delta ?? 0) < abs($1.delta ?? 0) }!
                parts.append("\(metric) in \(rs.count) variant(s), largest |Δ| \(Self.format(abs(largest.delta ?? 0))) against CI \(Self.format(largest.noise ?? 0))")
            }
            if let smallest = moved.compactMap(\.p).min() {
                parts.append("smallest Welch p \(Self.format(smallest)), not significant over \(rows.filter { $0.p != nil }.count) means (Benjamini–Hochberg, q = \(Self.format(Self.falseDiscoveryRate)))")
            }
            if moved.isEmpty, let differing = runsDiffering, !differing.isEmpty {
                parts.append("\(differing.count) run(s) differ below summary.csv's 6 significant digits")
            }
            return "verdict: identical within seed noise — \(moved.count) of \(rows.count) means moved, none beyond seed noise: " + parts.joined(separator: "; ")
        case .different:
            var parts: [String] = []
            let beyond = beyondNoise
            if !beyond.isEmpty {
                let shown = beyond.sorted { abs($0.delta ?? 0) > abs($1.delta ?? 0) }.prefix(6).map { r in
                    "\(r.metric) of \(r.label) \(Self.format(r.a?.mean)) → \(Self.format(r.b?.mean)) (Δ \(Self.signed(r.delta ?? 0)), CI \(Self.format(r.noise ?? 0)), p \(Self.format(r.p)))"
                }
                parts.append("\(beyond.count) mean(s) beyond seed noise: " + shown.joined(separator: "; ") + (beyond.count > shown.count ? "; and \(beyond.count - shown.count) more" : ""))
            }
            let missing = self.missing
            if !missing.isEmpty {
                let onlyA = Set(missing.filter { $0.b == nil }.map(\.variantID)).count
                let onlyB = Set(missing.filter { $0.a == nil }.map(\.variantID)).count
                var text = "\(missing.count) (variant, metric) value(s) in one folder only"
                if onlyA + onlyB > 0 { text += " (\(onlyA) variant(s) only in A, \(onlyB) only in B)" }
                parts.append(text)
            }
            if !countChanges.isEmpty {
                parts.append("\(countChanges.count) variant(s) with other runs/ok/diverged/failed counts: "
                    + countChanges.prefix(4).map { "\($0.label) \($0.a.map(String.init).joined(separator: "/")) → \($0.b.map(String.init).joined(separator: "/"))" }.joined(separator: "; "))
            }
            return "verdict: DIFFERENT — " + parts.joined(separator: "; ")
        }
    }

    /// A markdown report: the rule, a table of the compared means (only those that moved with `changedOnly`), then the verdict.
    public func markdown(a nameA: String, b nameB: String, changedOnly: Bool = false) -> String {
        var out = "# \(nameA) (A) vs \(nameB) (B)\n\n"
        out += "Noise: \(Self.noiseRule).\n\n"
        let shown = changedOnly ? rows.filter { $0.change != .identical } : rows
        if shown.isEmpty {
            out += "Every compared mean is identical (\(rows.count) variant × metric pairs).\n\n"
        } else {
            out += "| variant | \(labelAxes.joined(separator: " / ")) | metric | A mean | B mean | Δ (B − A) | 95% CI | p (Welch) | change |\n"
            out += "|---|---|---|---:|---:|---:|---:|---:|---|\n"
            for r in shown {
                let cells = [r.variantID, r.label, r.metric, Self.format(r.a?.mean), Self.format(r.b?.mean),
                             r.delta.map(Self.signed) ?? "–", r.noise.map(Self.format) ?? "–", Self.format(r.p), r.change.rawValue]
                out += "| " + cells.joined(separator: " | ") + " |\n"
            }
            if changedOnly { out += "\n\(rows.count - shown.count) of \(rows.count) means identical, not listed.\n" }
            out += "\n"
        }
        if !countChanges.isEmpty {
            out += "Runs / ok / diverged / failed that differ:\n\n"
            for c in countChanges {
                out += "* \(c.variantID) (\(c.label)): \(c.a.map(String.init).joined(separator: "/")) → \(c.b.map(String.init).joined(separator: "/"))\n"
            }
            out += "\n"
        }
        if let differing = runsDiffering, !differing.isEmpty {
            out += "\(differing.count) of \(runsCompared) run records differ in status or metrics: "
                + differing.prefix(10).joined(separator: ", ") + (differing.count > 10 ? ", …" : "") + "\n\n"
        }
        return out + verdictLine() + "\n"
    }

    /// The comparison as JSON (`metricbench compare --json`).
    public func json(a nameA: String, b nameB: String) throws -> String {
        let doc = _ComparisonJSON(
            a: nameA, b: nameB, verdict: verdict.rawValue, verdictLine: verdictLine(), noiseRule: Self.noiseRule,
            rows: rows.map {
                .init(variantID: $0.variantID, label: $0.label, metric: $0.metric,
                      aMean: $0.a?.mean, aCI95: $0.a?.ci95, aN: $0.a?.n, bMean: $0.b?.mean, bCI95: $0.b?.ci95, bN: $0.b?.n,
                      delta: $0.delta, noise: $0.noise, p: $0.p, change: $0.change.rawValue)
            },
            countChanges: countChanges.map { .init(variantID: $0.variantID, label: $0.label, a: $0.a, b: $0.b) },
            runsCompared: runsCompared, runsDiffering: runsDiffering)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
    }

    /// The metrics of `rows`, in their first-seen order.
    func orderedMetrics(_ rows: [Row]) -> [String] {
        var seen: [String] = []
        for r in rows where !seen.contains(r.metric) { seen.append(r.metric) }
        return seen
    }

    static func format(_ v: Double?) -> String {
        guard let v else { return "–" }
        return String(format: "%.4g", v)
    }

    static func signed(_ v: Double) -> String {
        v == 0 ? "0" : (v > 0 ? "+" : "−") + String(format: "%.4g", abs(v))
    }
}

/// The JSON document of a comparison (snake_case keys, nulls for missing values).
struct _ComparisonJSON: Encodable {
    struct Row: Encodable {
        var variantID, label, metric: String
        var aMean, aCI95: Double?
        var aN: Int?
        var bMean, bCI95: Double?
        var bN: Int?
        var delta, noise, p: Double?
        var change: String

        enum CodingKeys: String, CodingKey {
            case label, metric, delta, noise, p, change
            case variantID = "variant_id", aMean = "a_mean", aCI95 = "a_ci95", aN = "a_n"
            case bMean = "b_mean", bCI95 = "b_ci95", bN = "b_n"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(variantID, forKey: .variantID)
            try c.encode(label, forKey: .label)
            try c.encode(metric, forKey: .metric)
            try c.encode(aMean, forKey: .aMean)
            try c.encode(aCI95, forKey: .aCI95)
            try c.encode(aN, forKey: .aN)
            try c.encode(bMean, forKey: .bMean)
            try c.encode(bCI95, forKey: .bCI95)
            try c.encode(bN, forKey: .bN)
            try c.encode(delta, forKey: .delta)
            try c.encode(noise, forKey: .noise)
            try c.encode(p, forKey: .p)
            try c.encode(change, forKey: .change)
        }
    }

    struct CountChange: Encodable {
        var variantID, label: String
        var a, b: [Int]
        enum CodingKeys: String, CodingKey { case label, a, b, variantID = "variant_id" }
    }

    var a, b, verdict, verdictLine, noiseRule: String
    var rows: [Row]
    var countChanges: [CountChange]
    var runsCompared: Int
    var runsDiffering: [String]?

    enum CodingKeys: String, CodingKey {
        case a, b, verdict, rows
        case verdictLine = "verdict_line", noiseRule = "noise_rule", countChanges = "count_changes"
        case runsCompared = "runs_compared", runsDiffering = "runs_differing"
    }
}
