import Foundation
import NumericCore

/// One scalar setting as written in a spec: a loss parameter's value, and
/// the value of a sweep axis.
public enum ParameterValue: Hashable, Sendable, CustomStringConvertible, Codable {
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

    /// The value as a number, when it is one.
    public var number: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .string, .bool: return nil
        }
    }

    /// Orders values of one axis for table rows and columns: numbers by value, others by text.
    public static func precedes(_ a: ParameterValue, _ b: ParameterValue) -> Bool {
        switch (a.number, b.number) {
        case let (x?, y?): return x < y
        default: return a.description < b.description
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

/// What a parameter key accepts.
public enum ParameterKind: Hashable, Sendable {
    case int, double, bool
    /// One of these words (the raw values of an enum).
    case word([String])
}

/// One spec key of a loss: its name (snake_case, as in the spec and
/// `metricbench loss --name`), what it accepts and its default.
public struct LossParameterKey: Hashable, Sendable {
    public let name: String
    public let kind: ParameterKind
    public let defaultValue: ParameterValue
}

/// The parameters of one loss: a struct whose stored properties are its
/// spec keys (`CodingKeys` in snake_case), whose `init()` holds every
/// default, and whose `validate()` rejects values it cannot use.
///
/// The spec keys, their kinds and defaults are read off `Self()` (see
/// ``LossDefinition/parameterKeys``): nothing else lists them.
public protocol LossParameterSet: Codable, Hashable, Sendable {
    /// Every parameter at its default.
    init()
    /// Throws ``LossError/invalidParameter(_:)`` naming the key and the fix.
    func validate() throws
}

/// A loss as the registry knows it: its name, its parameters, the miners
/// it takes and how it is built. Conforming types are the losses
/// themselves; ``LossRegistry/losses`` lists each once.
///
/// Which miners a loss takes is its `Mining` type: `mining(_:)` switches
/// over every ``MiningKind`` without `default:`, so a new miner does not
/// compile until every loss has said whether it takes it.
public protocol LossDefinition {
    associatedtype Parameters: LossParameterSet
    /// The miners this loss takes, in its own terms.
    associatedtype Mining: Sendable
    /// The `loss:` value of specs.
    static var name: String { get }
    /// This loss's miner for `kind`, or nil when it does not take it (a sweep skips that combination).
    static func mining(_ kind: MiningKind) -> Mining?
    /// Builds the loss; `parameters` are valid. Fast paths are chosen here, once.
    static func make(_ parameters: Parameters, mining: Mining, seed: UInt64, context: ComputeContext) -> any BatchLoss
    /// Canonical form 1 of the losses published before it existed: the
    /// constants their ids hashed beside their own keys; nil (the default)
    /// for every later loss, whose ids hash only parameters off their default.
    static var legacyCanonicalConstants: [String: ParameterValue]? { get }
}

extension LossDefinition {
    public static var legacyCanonicalConstants: [String: ParameterValue]? { nil }

    /// The spec keys of `Parameters`, with kinds and defaults, in declaration order.
    public static var parameterKeys: [LossParameterKey] {
        let recorder = _ParameterRecorder()
        try! Parameters().encode(to: recorder)
        return recorder.fields.map { LossParameterKey(name: $0.0, kind: $0.1, defaultValue: $0.2) }
    }

    /// `values` (absent keys at their defaults) as this loss's parameters, validated.
    static func parameters(_ values: [String: ParameterValue]) throws -> Parameters {
        var merged: [String: Any] = [:]
        for key in parameterKeys {
            let v = values[key.name] ?? key.defaultValue
            switch (key.kind, v) {
            case (.int, .int(let i)): merged[key.name] = i
            case (.double, .int(let i)): merged[key.name] = Double(i)
            case (.double, .double(let d)):
                guard d.isFinite else { throw LossError.invalidParameter("\(key.name) must be a finite number, got \(d)") }
                merged[key.name] = d
            case (.bool, .bool(let b)): merged[key.name] = b
            case (.word(let words), .string(let s)) where words.contains(s): merged[key.name] = s
            case (.word(let words), _):
                throw LossError.invalidParameter("\(key.name) must be one of \(words.joined(separator: ", ")), got '\(v)'")
            case (.int, _), (.double, _), (.bool, _):
                throw LossError.invalidParameter("\(key.name) must be \(key.kind.article), got '\(v)'")
            }
        }
        let data = try JSONSerialization.data(withJSONObject: merged)
        let p = try JSONDecoder().decode(Parameters.self, from: data)
        try p.validate()
        return p
    }
}

extension ParameterKind {
    var article: String {
        switch self {
        case .int: return "an integer"
        case .double: return "a number"
        case .bool: return "true or false"
        case .word(let w): return "one of \(w.joined(separator: ", "))"
        }
    }
}

/// A registered loss, its type erased: what the spec, the runner and the
/// command line need.
public struct RegisteredLoss: Sendable {
    public let kind: LossKind
    /// The spec keys this loss reads, with their defaults.
    public let parameterKeys: [LossParameterKey]
    let takes: @Sendable (MiningKind) -> Bool
    let resolve: @Sendable ([String: ParameterValue]) throws -> [String: ParameterValue]
    let build: @Sendable ([String: ParameterValue], MiningKind, UInt64, ComputeContext) throws -> any BatchLoss
    /// See ``LossDefinition/legacyCanonicalConstants``.
    public let legacyCanonicalConstants: [String: ParameterValue]?

    public init<L: LossDefinition>(_ loss: L.Type) {
        kind = LossKind(unchecked: L.name)
        let keys = L.parameterKeys
        parameterKeys = keys
        takes = { L.mining($0) != nil }
        resolve = { values in
            let p = try L.parameters(values)
            let recorder = _ParameterRecorder()
            try p.encode(to: recorder)
            return Dictionary(uniqueKeysWithValues: recorder.fields.map { ($0.0, $0.2) })
        }
        build = { values, mining, seed, context in
            guard let m = L.mining(mining) else { throw LossError.unsupported(LossKind(unchecked: L.name), mining) }
            return L.make(try L.parameters(values), mining: m, seed: seed, context: context)
        }
        legacyCanonicalConstants = L.legacyCanonicalConstants
    }

    /// Whether this loss takes `mining` (a sweep skips the combinations it does not).
    public func supports(_ mining: MiningKind) -> Bool { takes(mining) }

    /// Every parameter of this loss resolved: `values` (keys of other losses
    /// ignored) over the defaults, validated.
    public func resolvedParameters(_ values: [String: ParameterValue]) throws -> [String: ParameterValue] {
        let own = Set(parameterKeys.map(\.name))
        return try resolve(values.filter { own.contains($0.key) })
    }

    /// Builds the loss with `values` (absent keys at their defaults).
    public func make(_ values: [String: ParameterValue] = [:], mining: MiningKind, seed: UInt64 = 0,
                     context: ComputeContext = .serial) throws -> any BatchLoss {
        try build(values, mining, seed, context)
    }
}

/// Records a parameter struct's encoded fields with their exact types.
final class _ParameterRecorder: Encoder {
    var fields: [(String, ParameterKind, ParameterValue)] = []
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(_Keyed<Key>(recorder: self))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { preconditionFailure("loss parameters are flat scalars") }
    func singleValueContainer() -> any SingleValueEncodingContainer { preconditionFailure("loss parameters are a keyed struct") }

    struct _Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let recorder: _ParameterRecorder
        var codingPath: [any CodingKey] { [] }
        func add(_ key: Key, _ kind: ParameterKind, _ value: ParameterValue) { recorder.fields.append((key.stringValue, kind, value)) }
        mutating func encodeNil(forKey key: Key) throws {}
        mutating func encode(_ value: Bool, forKey key: Key) throws { add(key, .bool, .bool(value)) }
        mutating func encode(_ value: Int, forKey key: Key) throws { add(key, .int, .int(value)) }
        mutating func encode(_ value: Double, forKey key: Key) throws { add(key, .double, .double(value)) }
        mutating func encode(_ value: String, forKey key: Key) throws { add(key, .word([value]), .string(value)) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            if let word = value as? any _ParameterWord {
                add(key, .word(word.allWords), .string(word.word))
            } else if let d = value as? Float {
                add(key, .double, .double(Double(d)))
            } else {
                preconditionFailure("loss parameter '\(key.stringValue)' has a type the spec cannot hold: \(T.self)")
            }
        }
        mutating func nestedContainer<N: CodingKey>(keyedBy: N.Type, forKey key: Key) -> KeyedEncodingContainer<N> {
            preconditionFailure("loss parameters are flat scalars")
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { preconditionFailure("flat scalars only") }
        mutating func superEncoder() -> any Encoder { recorder }
        mutating func superEncoder(forKey key: Key) -> any Encoder { recorder }
    }
}

/// An enum a loss parameter may take (its raw values are the spec's words).
protocol _ParameterWord {
    var word: String { get }
    var allWords: [String] { get }
}

extension _ParameterWord where Self: RawRepresentable & CaseIterable, RawValue == String {
    var word: String { rawValue }
    var allWords: [String] { Self.allCases.map(\.rawValue) }
}

extension DistanceKind: _ParameterWord {}
extension ReducerKind: _ParameterWord {}
