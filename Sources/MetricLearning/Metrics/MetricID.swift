/// A metric of DESIGN §6, typed: parsing, spelling, title and direction in
/// one place, so no metric name is typed twice.
///
/// Spellings (the spec's `metrics:` values, the records' keys, the CSV
/// columns): `recall@K`, `precision@1`, `r-precision`, `map@r`, `nmi`, `f1`,
/// `val@far=F` (F a plain decimal in (0, 1]).
public enum MetricID: Hashable, Sendable, CustomStringConvertible {
    case recall(Int)
    case precisionAt1
    case rPrecision
    case mapAtR
    case nmi
    case f1
    case valAtFAR(Double)

    /// The metrics without a parameter, in report order.
    public static let fixed: [MetricID] = [.precisionAt1, .rPrecision, .mapAtR, .nmi, .f1]

    /// The canonical spelling (`val@far=1e-3` is spelled `val@far=0.001`).
    public var name: String {
        switch self {
        case .recall(let k): return "recall@\(k)"
        case .precisionAt1: return "precision@1"
        case .rPrecision: return "r-precision"
        case .mapAtR: return "map@r"
        case .nmi: return "nmi"
        case .f1: return "f1"
        case .valAtFAR(let far): return "val@far=\(MetricID.plainDecimal(far))"
        }
    }

    public var description: String { name }

    /// A title for plots and captions.
    public var title: String {
        switch self {
        case .recall(let k): return "Recall@\(k)"
        case .precisionAt1: return "Precision@1"
        case .rPrecision: return "R-Precision"
        case .mapAtR: return "MAP@R"
        case .nmi: return "NMI"
        case .f1: return "F1 (pairwise clustering)"
        case .valAtFAR(let far): return "VAL at FAR = \(MetricID.plainDecimal(far))"
        }
    }

    /// Whether a larger value is better (true for every metric here; the
    /// reports and the regression check ask this instead of assuming it).
    public var higherIsBetter: Bool {
        switch self {
        case .recall, .precisionAt1, .rPrecision, .mapAtR, .nmi, .f1, .valAtFAR: return true
        }
    }

    /// Whether the reports plot it against every swept axis (the other
    /// recalls appear in the recall@K plot; precision@1 and r-precision only
    /// in the tables).
    public var isPlottedAgainstAxes: Bool {
        switch self {
        case .recall(let k): return k == 1
        case .mapAtR, .nmi, .f1, .valAtFAR: return true
        case .precisionAt1, .rPrecision: return false
        }
    }

    /// Whether the metric scores a clustering (k-means) rather than neighbours or pairs.
    public var isClustering: Bool {
        switch self {
        case .nmi, .f1: return true
        case .recall, .precisionAt1, .rPrecision, .mapAtR, .valAtFAR: return false
        }
    }

    /// Parses a spelling (case and surrounding spaces ignored), or throws an
    /// error naming it and what is known.
    public init(parsing s: String) throws {
        let name = s.trimmingCharacters(in: .whitespaces).lowercased()
        if let fixed = MetricID.fixed.first(where: { $0.name == name }) {
            self = fixed
            return
        }
        if name.hasPrefix("recall@") {
            guard let k = Int(name.dropFirst("recall@".count)), k > 0 else {
                throw EvaluationError.unknownMetric(s, hint: "recall@K needs a positive integer K, e.g. recall@1")
            }
            self = .recall(k)
            return
        }
        if name.hasPrefix("val@far=") {
            guard let f = Double(name.dropFirst("val@far=".count)), f > 0, f <= 1 else {
                throw EvaluationError.unknownMetric(s, hint: "val@far=F needs 0 < F ≤ 1, e.g. val@far=1e-3")
            }
            self = .valAtFAR(f)
            return
        }
        throw EvaluationError.unknownMetric(s, hint: "known metrics: \(MetricID.known)")
    }

    /// The spellings, for error messages and help.
    public static let known = "recall@K, precision@1, r-precision, map@r, nmi, f1, val@far=F"

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
