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
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in data {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        let hex = String(h, radix: 16)
        return String(String(repeating: "0", count: 16 - hex.count) + hex).prefix(12).description
    }
}
