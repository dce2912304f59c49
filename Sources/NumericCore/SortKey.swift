/// A `(value, index)` pair packed into one `UInt64` whose unsigned integer
/// order is the lexicographic order of the pair: the float's ordered bits
/// (``orderedBits(_:)``) above the index's low 32 bits. Sorting or selecting
/// such keys orders by value and breaks ties by index — the one key of the
/// nearest-neighbour lists and of the miners' rankings, sorted by
/// ``RadixSort``.
public enum SortKey {
    /// The bits of `v` as an unsigned integer whose order is the order of
    /// the floats (−0 is mapped to +0 so that the two compare equal, as
    /// floats do). Not meaningful for NaN. For `v ≥ 0` these are `v`'s bits
    /// with the sign bit set.
    @inlinable @inline(__always)
    public static func orderedBits(_ v: Float) -> UInt32 {
        let bits = (v == 0 ? 0 : v).bitPattern
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }

    /// The key of `(value, index)`; `index` must fit in 32 bits.
    @inlinable @inline(__always)
    public static func make(_ value: Float, _ index: Int) -> UInt64 {
        UInt64(orderedBits(value)) << 32 | UInt64(UInt32(truncatingIfNeeded: index))
    }

    /// ``make(_:_:)`` for `value ≥ 0` (−0 included), without its branches:
    /// setting the sign bit of a non-negative float's bits is its ordered bits.
    @inlinable @inline(__always)
    public static func make(nonNegative value: Float, _ index: Int) -> UInt64 {
        UInt64(value.bitPattern | 0x8000_0000) << 32 | UInt64(UInt32(truncatingIfNeeded: index))
    }

    /// The float whose ``orderedBits(_:)`` are the high 32 bits of `key`.
    @inlinable @inline(__always)
    public static func value(_ key: UInt64) -> Float {
        let k = UInt32(truncatingIfNeeded: key &>> 32)
        return Float(bitPattern: k & 0x8000_0000 != 0 ? k ^ 0x8000_0000 : ~k)
    }

    /// The index in the low 32 bits of `key`.
    @inlinable @inline(__always)
    public static func index(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: key & 0xFFFF_FFFF)
    }
}
