/// The canonical metric names of DESIGN §6: `recall@K`, `precision@1`,
/// `r-precision`, `map@r`, `nmi`, `f1`, `val@far=F` (F a plain decimal in (0, 1]).
public enum MetricName {
    /// The names of the fixed metrics, in report order.
    public static let retrieval = ["precision@1", "r-precision", "map@r"]
    public static let clustering = ["nmi", "f1"]

    public static func recall(_ k: Int) -> String { "recall@\(k)" }
    public static func valAtFar(_ far: Double) -> String { "val@far=\(plainDecimal(far))" }

    /// The canonical spelling of metric name `s` (case and surrounding spaces
    /// ignored; `val@far=1e-3` becomes `val@far=0.001`), or an error naming it.
    public static func canonical(_ s: String) throws -> String {
        let name = s.trimmingCharacters(in: .whitespaces).lowercased()
        if retrieval.contains(name) || clustering.contains(name) { return name }
        if name.hasPrefix("recall@") {
            guard let k = Int(name.dropFirst("recall@".count)), k > 0 else {
                throw EvaluationError.unknownMetric(s, hint: "recall@K needs a positive integer K, e.g. recall@1")
            }
            return recall(k)
        }
        if name.hasPrefix("val@far=") {
            guard let f = Double(name.dropFirst("val@far=".count)), f > 0, f <= 1 else {
                throw EvaluationError.unknownMetric(s, hint: "val@far=F needs 0 < F ≤ 1, e.g. val@far=1e-3")
            }
            return valAtFar(f)
        }
        throw EvaluationError.unknownMetric(
            s, hint: "known metrics: recall@K, precision@1, r-precision, map@r, nmi, f1, val@far=F")
    }

    /// `x` in plain decimal notation, shortest round-trip digits: `1e-3` → `"0.001"`, `0.01` → `"0.01"`, `1` → `"1"`.
    public static func plainDecimal(_ x: Double) -> String {
        precondition(x.isFinite, "plainDecimal needs a finite value")
        if x < 0 { return "-" + plainDecimal(-x) }
        let text = "\(x)"
        var mantissa = Substring(text), exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...])!
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        var point = parts[0].count + exponent
        while digits.count > 1 && digits.first == "0" && point > 1 {
            digits.removeFirst()
            point -= 1
        }
        if point <= 0 {
            digits = String(repeating: "0", count: -point + 1) + digits
            point = 1
        } else if point > digits.count {
            digits += String(repeating: "0", count: point - digits.count)
        }
        var integer = String(digits.prefix(point))
        var fraction = String(digits.dropFirst(point))
        while fraction.last == "0" { fraction.removeLast() }
        while integer.count > 1 && integer.first == "0" { integer.removeFirst() }
        return fraction.isEmpty ? integer : integer + "." + fraction
    }
}

import Foundation
