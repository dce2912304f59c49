import MetricLearning

/// One scalar value of a sweep axis, as written in the spec.
public enum AxisValue: Hashable, Sendable, CustomStringConvertible, Codable {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return MetricID.plainDecimal(v)
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
