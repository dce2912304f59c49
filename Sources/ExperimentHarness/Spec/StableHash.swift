import Foundation

/// Stable identifiers from canonical JSON (sorted keys) and 64-bit FNV-1a.
///
/// The id depends only on the resolved configuration, never on YAML text,
/// Swift's per-process `Hasher` seed, or the order of keys.
public enum StableHash {
    public static func id<T: Encodable>(of value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try! encoder.encode(value)
        return fnv1a(data)
    }

    /// The first 12 hex digits of the 64-bit FNV-1a hash of `bytes`.
    public static func fnv1a<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        let hex = String(h, radix: 16)
        return String(String(repeating: "0", count: 16 - hex.count) + hex).prefix(12).description
    }
}

/// A variant's id: the hash of a versioned canonical form of its resolved
/// configuration (DESIGN §11).
///
/// **Canonical form, version 1** — the JSON of ``RunConfiguration`` with
/// sorted keys, in which
/// * the fields that existed when version 1 was fixed (2026-11: dataset,
///   model, train, embedding_dim and the contrastive/triplet/lifted loss
///   fields) are always written, resolved — these are the bytes every
///   published id hashes;
/// * every field added since is written only when it differs from its
///   default (``KeyedEncodingContainer/encode(_:forKey:unlessEqualTo:)``),
///   so a new parameter, loss, miner or metric leaves every existing id as
///   it was;
/// * seeds, metrics, tables and the launch layout (threads, jobs, shards)
///   are not part of it: they do not change what a run computes.
///
/// A change that alters what an existing field means raises the version;
/// version 1 hashes the bare JSON (the published ids), a later version `v`
/// hashes `"v<v>:"` followed by the JSON.
public enum VariantID {
    /// The version new ids are made with.
    public static let canonicalFormVersion = 1

    public static func of(_ configuration: RunConfiguration) -> String {
        StableHash.id(of: configuration)
    }
}

extension KeyedEncodingContainer {
    /// Writes `value` only when it differs from `defaultValue`: how a field
    /// added after canonical form 1 keeps the ids of configurations that
    /// leave it at its default.
    public mutating func encode<T: Encodable & Equatable>(_ value: T, forKey key: Key, unlessEqualTo defaultValue: T) throws {
        if value != defaultValue { try encode(value, forKey: key) }
    }
}
