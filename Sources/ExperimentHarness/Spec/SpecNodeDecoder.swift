import Foundation
import Yams

/// Decodes a registered dataset's options (a `Decodable` whose coding keys
/// are its spec keys) straight from the YAML tree, with ``Reader``'s typed
/// accessors: a wrong type is a ``SpecError`` naming the file, key and line
/// like every other key; an unknown key of a nested mapping (`fonts: { … }`)
/// gets a did-you-mean when the keys are `CaseIterable`. A null value is not
/// a default: it is reported as the wrong type.
struct _SpecNodeDecoder: Decoder {
    let reader: Reader
    let node: Node
    /// The key whose value `node` is (for messages).
    let key: String
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<K: CodingKey>(keyedBy type: K.Type) throws -> KeyedDecodingContainer<K> {
        let entries = try reader.mapping(node, key)
        if let known = _SpecNodeDecoder.knownKeys(K.self) {
            try reader.checkKeys(entries, allowed: known, section: key)
        }
        return KeyedDecodingContainer(_Keyed<K>(reader: reader, entries: entries))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        _Unkeyed(reader: reader, items: try reader.list(node, key), key: key)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        _Single(reader: reader, node: node, key: key)
    }

    /// The raw values of `K`'s cases, when `K` lists them.
    static func knownKeys<K: CodingKey>(_ type: K.Type) -> [String]? {
        guard let all = type as? any CaseIterable.Type else { return nil }
        return _cases(all)
    }

    private static func _cases<C: CaseIterable>(_ type: C.Type) -> [String] {
        type.allCases.compactMap { ($0 as? any CodingKey)?.stringValue }
    }

    /// `node` as `T`, with the reader's messages.
    static func value<T: Decodable>(_ type: T.Type, _ node: Node, key: String, reader: Reader) throws -> T {
        switch type {
        case is String.Type: return try reader.string(node, key) as! T
        case is Bool.Type: return try reader.bool(node, key) as! T
        case is Double.Type: return try reader.double(node, key) as! T
        case is Float.Type: return Float(try reader.double(node, key)) as! T
        case let integer as any FixedWidthInteger.Type: return try _integer(integer, node, key: key, reader: reader) as! T
        default:
            do {
                return try T(from: _SpecNodeDecoder(reader: reader, node: node, key: key))
            } catch let e as DecodingError {
                throw reader.fail(node, key, "has a value that cannot be read: '\(node.string ?? "a list or mapping")' (\(e.localizedDescription))")
            }
        }
    }

    private static func _integer<I: FixedWidthInteger>(_ type: I.Type, _ node: Node, key: String, reader: Reader) throws -> I {
        let v = try reader.int(node, key, min: I.min >= 0 ? 0 : Int.min)
        guard let exact = I(exactly: v) else { throw reader.fail(node, key, "is out of range: \(v)") }
        return exact
    }

    struct _Keyed<K: CodingKey>: KeyedDecodingContainerProtocol {
        let reader: Reader
        let entries: [(String, Node, Node)]
        var codingPath: [any CodingKey] { [] }
        var allKeys: [K] { entries.compactMap { K(stringValue: $0.0) } }

        func contains(_ key: K) -> Bool { entries.contains { $0.0 == key.stringValue } }

        func node(_ key: K) throws -> Node {
            guard let e = entries.first(where: { $0.0 == key.stringValue }) else {
                throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "no \(key.stringValue)"))
            }
            return e.2
        }

        func decodeNil(forKey key: K) throws -> Bool { false }
        func decode<T: Decodable>(_ type: T.Type, forKey key: K) throws -> T {
            try _SpecNodeDecoder.value(type, node(key), key: key.stringValue, reader: reader)
        }
        func decode(_ type: Bool.Type, forKey key: K) throws -> Bool { try decodeValue(type, key) }
        func decode(_ type: String.Type, forKey key: K) throws -> String { try decodeValue(type, key) }
        func decode(_ type: Double.Type, forKey key: K) throws -> Double { try decodeValue(type, key) }
        func decode(_ type: Float.Type, forKey key: K) throws -> Float { try decodeValue(type, key) }
        func decode(_ type: Int.Type, forKey key: K) throws -> Int { try decodeValue(type, key) }
        func decode(_ type: Int8.Type, forKey key: K) throws -> Int8 { try decodeValue(type, key) }
        func decode(_ type: Int16.Type, forKey key: K) throws -> Int16 { try decodeValue(type, key) }
        func decode(_ type: Int32.Type, forKey key: K) throws -> Int32 { try decodeValue(type, key) }
        func decode(_ type: Int64.Type, forKey key: K) throws -> Int64 { try decodeValue(type, key) }
        func decode(_ type: UInt.Type, forKey key: K) throws -> UInt { try decodeValue(type, key) }
        func decode(_ type: UInt8.Type, forKey key: K) throws -> UInt8 { try decodeValue(type, key) }
        func decode(_ type: UInt16.Type, forKey key: K) throws -> UInt16 { try decodeValue(type, key) }
        func decode(_ type: UInt32.Type, forKey key: K) throws -> UInt32 { try decodeValue(type, key) }
        func decode(_ type: UInt64.Type, forKey key: K) throws -> UInt64 { try decodeValue(type, key) }

        private func decodeValue<T: Decodable>(_ type: T.Type, _ key: K) throws -> T {
            try _SpecNodeDecoder.value(type, node(key), key: key.stringValue, reader: reader)
        }

        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: K) throws -> KeyedDecodingContainer<N> {
            try _SpecNodeDecoder(reader: reader, node: node(key), key: key.stringValue).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: K) throws -> any UnkeyedDecodingContainer {
            try _SpecNodeDecoder(reader: reader, node: node(key), key: key.stringValue).unkeyedContainer()
        }
        func superDecoder() throws -> any Decoder { preconditionFailure("spec options do not use superDecoder") }
        func superDecoder(forKey key: K) throws -> any Decoder { preconditionFailure("spec options do not use superDecoder") }
    }

    struct _Unkeyed: UnkeyedDecodingContainer {
        let reader: Reader
        let items: [Node]
        let key: String
        var codingPath: [any CodingKey] { [] }
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }
        var currentIndex = 0

        init(reader: Reader, items: [Node], key: String) {
            self.reader = reader
            self.items = items
            self.key = key
        }

        mutating func decodeNil() throws -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let v = try _SpecNodeDecoder.value(type, items[currentIndex], key: key, reader: reader)
            currentIndex += 1
            return v
        }
        mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> {
            defer { currentIndex += 1 }
            return try _SpecNodeDecoder(reader: reader, node: items[currentIndex], key: key).container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            defer { currentIndex += 1 }
            return try _SpecNodeDecoder(reader: reader, node: items[currentIndex], key: key).unkeyedContainer()
        }
        mutating func superDecoder() throws -> any Decoder { preconditionFailure("spec options do not use superDecoder") }
    }

    struct _Single: SingleValueDecodingContainer {
        let reader: Reader
        let node: Node
        let key: String
        var codingPath: [any CodingKey] { [] }

        func decodeNil() -> Bool { false }
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try _SpecNodeDecoder.value(type, node, key: key, reader: reader)
        }
        func decode(_ type: Bool.Type) throws -> Bool { try decode(type as Bool.Type, generic: ()) }
        func decode(_ type: String.Type) throws -> String { try decode(type, generic: ()) }
        func decode(_ type: Double.Type) throws -> Double { try decode(type, generic: ()) }
        func decode(_ type: Float.Type) throws -> Float { try decode(type, generic: ()) }
        func decode(_ type: Int.Type) throws -> Int { try decode(type, generic: ()) }
        func decode(_ type: Int8.Type) throws -> Int8 { try decode(type, generic: ()) }
        func decode(_ type: Int16.Type) throws -> Int16 { try decode(type, generic: ()) }
        func decode(_ type: Int32.Type) throws -> Int32 { try decode(type, generic: ()) }
        func decode(_ type: Int64.Type) throws -> Int64 { try decode(type, generic: ()) }
        func decode(_ type: UInt.Type) throws -> UInt { try decode(type, generic: ()) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(type, generic: ()) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(type, generic: ()) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(type, generic: ()) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(type, generic: ()) }

        private func decode<T: Decodable>(_ type: T.Type, generic: Void) throws -> T {
            try _SpecNodeDecoder.value(type, node, key: key, reader: reader)
        }
    }
}
