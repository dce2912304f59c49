import Foundation

/// `results.csv` (one row per run) and `summary.csv` (one row per variant), RFC 4180.
public enum CSVReport {
    public static func results(_ set: ResultSet) -> String {
        let axes = set.axes
        let metrics = set.plan.spec.metrics
        var header = ["run", "variant_id", "seed", "status", "reason"] + axes.map(\.rawValue) + metrics.map(\.name)
        header += ["final_loss", "final_active_fraction", "train_seconds", "eval_seconds", "samples_per_second", "threads", "code_version"]
        var lines = [row(header)]
        // The planned runs in plan order, then the records no variant of the plan matches, with why.
        let planned = set.plan.runs.compactMap { set.records[$0.key] }.map { ($0, $0.reason ?? "") }
        let unmatched = set.unmatched.map { u in (u.record, "not in the plan: \(u.reason)" + (u.record.reason.map { "; \($0)" } ?? "")) }
        for (r, reason) in planned + unmatched {
            var cells = [r.key, r.variantID, String(r.seed), r.status.rawValue, reason]
            cells += axes.map { r.configuration.value(of: $0).description }
            cells += metrics.map { r.metrics[$0.name].map(number) ?? "" }
            cells += [
                r.epochs.last.map { number($0.loss) } ?? "", r.epochs.last.map { number($0.activeFraction) } ?? "",
                number(r.trainSeconds), number(r.evalSeconds), number(r.samplesPerSecond), String(r.threads), r.codeVersion,
            ]
            lines.append(row(cells))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    public static func summary(_ set: ResultSet) -> String {
        let axes = set.axes
        let metrics = set.plan.spec.metrics
        var header = ["variant_id"] + axes.map(\.rawValue) + ["runs", "ok", "diverged", "failed"]
        for m in metrics { header += ["\(m)_mean", "\(m)_std", "\(m)_ci95", "\(m)_n"] }
        var lines = [row(header)]
        for v in set.plan.variants {
            let rs = set.records(of: v)
            var cells = [v.id] + axes.map { v.configuration.value(of: $0).description }
            cells += [String(rs.count), String(rs.filter { $0.status == .ok }.count),
                      String(rs.filter { $0.status == .diverged }.count), String(rs.filter { $0.status == .failed }.count)]
            for m in metrics {
                if let s = SampleSummary(set.values(m, of: v)) {
                    cells += [number(s.mean), number(s.std), s.ci95.map(number) ?? "", String(s.n)]
                } else {
                    cells += ["", "", "", "0"]
                }
            }
            lines.append(row(cells))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func number(_ v: Double) -> String { v.isFinite ? String(format: "%.6g", v) : String(v) }

    static func row(_ cells: [String]) -> String { cells.map(quote).joined(separator: ",") }

    /// Quotes a cell when it holds a comma, quote or line break (RFC 4180).
    static func quote(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
