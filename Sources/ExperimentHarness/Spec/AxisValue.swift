/// One scalar value of a sweep axis, as written in the spec.
public enum AxisValue: Hashable, Sendable, CustomStringConvertible, Codable {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return formatNumber(v)
        case .string(let v): return v
        case .bool(let v): return v ? "true" : "false"
        }
    }

    /// Orders values of one axis for table rows and columns: numbers by value, others by text.
    static func precedes(_ a: AxisValue, _ b: AxisValue) -> Bool {
        switch (a.number, b.number) {
        case let (x?, y?): return x < y
        default: return a.description < b.description
        }
    }

    var number: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        default: return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        }
    }
}

/// A number in its shortest plain form: 0.001, 0.2, 1, 1e-06 only when tiny.
func formatNumber(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
    var s = String(v)
    if s.contains("e") {
        // Swift prints 0.0001 as 0.0001 but 1e-05 in exponent form; expand small exponents.
        let digits = Int((-log10(abs(v))).rounded(.up)) + 6
        s = String(format: "%.\(min(digits, 20))f", v)
        while s.hasSuffix("0") { s.removeLast() }
    }
    return s
}

import Foundation
