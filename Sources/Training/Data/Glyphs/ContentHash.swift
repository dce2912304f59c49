import Foundation

/// A fast 64-bit hash of bytes and values, used for the glyph dataset's
/// fingerprint (font files are hundreds of megabytes, so a byte-at-a-time
/// hash would dominate loading).
///
/// Four independent lanes each take one 64-bit little-endian word per step,
/// `lane = (lane ^ word) · p` followed by a rotate, so the lanes pipeline; the
/// tail is zero-padded and the byte count is mixed in, so inputs that differ
/// only by trailing zeros differ. Not cryptographic: it detects changed files,
/// not forged ones.
struct ContentHash {
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (
        0x9E37_79B9_7F4A_7C15, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9, 0x27D4_EB2F_1656_67C5)
    private var length: UInt64 = 0
    private static let prime: UInt64 = 0x0000_0100_0000_01B3 &* 0x9E37_79B9_7F4A_7C15 | 1

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        let p = Self.prime
        var (a, b, c, d) = lanes
        let words = bytes.count / 32
        var offset = 0
        for _ in 0..<words {
            a = ((a ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* p).rotated(31)
            b = ((b ^ bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)) &* p).rotated(31)
            c = ((c ^ bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)) &* p).rotated(31)
            d = ((d ^ bytes.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)) &* p).rotated(31)
            offset += 32
        }
        var tail: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &tail) { t in
            for i in offset..<bytes.count { t[i - offset] = bytes[i] }
        }
        withUnsafeBytes(of: &tail) { t in
            a = ((a ^ t.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) &* p).rotated(31)
            b = ((b ^ t.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) &* p).rotated(31)
            c = ((c ^ t.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) &* p).rotated(31)
            d = ((d ^ t.loadUnaligned(fromByteOffset: 24, as: UInt64.self)) &* p).rotated(31)
        }
        length &+= UInt64(bytes.count)
        lanes = (a, b, c, d)
    }

    mutating func add(_ value: UInt64) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { add($0) }
    }

    mutating func add(_ string: String) {
        var s = string
        s.withUTF8 { add(UnsafeRawBufferPointer($0)) }
        add(UInt64(string.utf8.count))
    }

    mutating func add(_ data: Data) {
        data.withUnsafeBytes { add($0) }
    }

    /// The hash of everything added so far.
    var value: UInt64 {
        var h = length
        for lane in [lanes.0, lanes.1, lanes.2, lanes.3] {
            h = (h ^ lane) &* Self.prime
            h ^= h >> 29
        }
        return h
    }

    /// `value` as 16 hex digits.
    var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

extension UInt64 {
    @inline(__always) fileprivate func rotated(_ k: UInt64) -> UInt64 { (self << k) | (self >> (64 - k)) }
}
