import Foundation

/// How data values on one axis map to pixels: linearly, or by their logarithm.
public enum PlotScale: Hashable, Sendable {
    case linear
    /// Logarithmic with decade ticks (10ⁿ); for FAR on ROC curves.
    case log10
    /// Logarithmic with ticks at powers of two; for embedding sizes, batch sizes, K.
    case log2

    /// The value on the axis' own straight line: `v` or its logarithm.
    func transform(_ v: Double) -> Double {
        switch self {
        case .linear: return v
        case .log10: return Foundation.log10(v)
        case .log2: return Foundation.log2(v)
        }
    }

    /// Whether `v` can be placed on this axis at all (logarithms need v > 0).
    func accepts(_ v: Double) -> Bool {
        v.isFinite && (self == .linear || v > 0)
    }
}

/// A data interval on one axis mapped onto a pixel interval.
///
/// `pixel(lo) == from`, `pixel(hi) == to`; `to < from` flips the direction
/// (SVG y grows downwards, so the y axis maps onto `bottom … top`).
public struct AxisMapping: Hashable, Sendable {
    public var scale: PlotScale
    public var lo: Double
    public var hi: Double
    public var from: Double
    public var to: Double

    public init(scale: PlotScale, lo: Double, hi: Double, from: Double, to: Double) {
        precondition(lo < hi, "an axis needs lo < hi")
        precondition(scale == .linear || lo > 0, "a logarithmic axis needs lo > 0")
        self.scale = scale
        self.lo = lo
        self.hi = hi
        self.from = from
        self.to = to
    }

    /// The pixel coordinate of data value `v`.
    public func pixel(_ v: Double) -> Double {
        let a = scale.transform(lo), b = scale.transform(hi)
        return from + (scale.transform(v) - a) / (b - a) * (to - from)
    }

    /// Whether `v` lies inside the axis range (with a little tolerance for rounding).
    public func contains(_ v: Double) -> Bool {
        guard scale.accepts(v) else { return false }
        let a = scale.transform(lo), b = scale.transform(hi), t = scale.transform(v)
        let eps = (b - a) * 1e-9
        return t >= a - eps && t <= b + eps
    }
}

/// Tick positions and labels: "nice" numbers (1, 2 or 5 × 10ⁿ steps) or powers.
public enum NiceTicks {
    /// The step from {1, 2, 5} × 10ⁿ that splits `span` into about `target` intervals.
    public static func step(span: Double, target: Int = 5) -> Double {
        precondition(span > 0 && target >= 1)
        let raw = span / Double(target)
        let magnitude = pow(10, floor(Foundation.log10(raw)))
        let f = raw / magnitude
        // Rounded to the nearest nice factor (geometric midpoints), not up: rounding up leaves axes with 3 ticks.
        let nice: Double = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10
        return nice * magnitude
    }

    /// The multiples of a nice step that lie in `lo … hi`; `minimumStep` keeps integer axes (epochs) integral.
    ///
    /// `linear(0, 0.87)` is `[0, 0.2, 0.4, 0.6, 0.8]`.
    public static func linear(_ lo: Double, _ hi: Double, target: Int = 5, minimumStep: Double = 0) -> [Double] {
        precondition(lo < hi)
        let s = max(step(span: hi - lo, target: target), minimumStep)
        let first = (lo / s - 1e-9).rounded(.up), last = (hi / s + 1e-9).rounded(.down)
        guard first <= last else { return [] }
        // Multiply an integer count by the step rather than accumulate, so 0.6 stays 0.6.
        return stride(from: first, through: last, by: 1).map { clean($0 * s, step: s) }
    }

    /// The decades 10ⁿ in `lo … hi` (`lo > 0`): `log10(1e-4, 1)` is `[1e-4, 1e-3, 1e-2, 0.1, 1]`.
    ///
    /// A range of less than two decades also gets 2 × 10ⁿ and 5 × 10ⁿ, so that it has ticks at all.
    public static func log10(_ lo: Double, _ hi: Double) -> [Double] {
        precondition(lo > 0 && lo < hi)
        let a = Int((Foundation.log10(lo) - 1e-9).rounded(.down)), b = Int((Foundation.log10(hi) + 1e-9).rounded(.down))
        let multiples: [Double] = Foundation.log10(hi / lo) < 2 ? [1, 2, 5] : [1]
        var out: [Double] = []
        for e in a...b {
            let decade: Double = pow(10, Double(e))
            for m in multiples where m * decade >= lo * (1 - 1e-9) && m * decade <= hi * (1 + 1e-9) {
                out.append(m * decade)
            }
        }
        return out
    }

    /// Whether `v` is a power of ten (a decade tick).
    static func isDecade(_ v: Double) -> Bool {
        let l = Foundation.log10(v)
        return abs(l - l.rounded()) < 1e-9
    }

    /// The powers of two in `lo … hi` (`lo > 0`), thinned to every second, fourth, … when there are many.
    public static func log2(_ lo: Double, _ hi: Double, target: Int = 8) -> [Double] {
        precondition(lo > 0 && lo < hi)
        let a = Int((Foundation.log2(lo) - 1e-9).rounded(.up)), b = Int((Foundation.log2(hi) + 1e-9).rounded(.down))
        guard a <= b else { return [] }
        var every = 1
        while (b - a) / every + 1 > target { every *= 2 }
        return stride(from: a, through: b, by: every).map { pow(2, Double($0)) }
    }

    /// A tick label: as many decimals as the step needs (0.2 → "0.2", 250 → "250").
    public static func label(_ v: Double, step: Double) -> String {
        let decimals = max(0, Int((-Foundation.log10(step) - 1e-9).rounded(.up)))
        return String(format: "%.\(min(decimals, 10))f", v == 0 ? 0 : v)
    }

    /// A decade label in superscript form: 1e-4 → "10⁻⁴", 1 → "1", 10 → "10".
    public static func decadeLabel(_ v: Double) -> String {
        let n = Int(Foundation.log10(v).rounded())
        if n == 0 { return "1" }
        if n == 1 { return "10" }
        let digits: [Character: Character] = ["0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻"]
        return "10" + String(String(n).map { digits[$0] ?? $0 })
    }

    /// Rounds away binary noise (0.6000000000000001 → 0.6): a tick is an integer number of 10^⌊log₁₀ step⌋.
    static func clean(_ v: Double, step: Double) -> Double {
        let e = floor(Foundation.log10(step))
        guard e < 0 else { return v.rounded() }
        let scale = pow(10, -e)
        return (v * scale).rounded() / scale
    }
}
