/// The reused buffers of the hot paths (per-worker scratch, layer outputs):
/// grown when a larger batch arrives, never shrunk, so that a training step
/// of an unchanged shape allocates nothing.
public enum Workspace {
    /// Makes `buffer` hold at least `count` elements. Its contents are
    /// unspecified afterwards (zeros when it grew): callers write before they read.
    @inlinable @inline(__always)
    public static func reserve<T: Numeric>(_ buffer: inout [T], _ count: Int) {
        if buffer.count < count { buffer = [T](repeating: 0, count: count) }
    }
}

extension SIMDMath {
    /// Eight floats from `p`, unaligned.
    @inlinable @inline(__always)
    public static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Eight floats from `p`, unaligned.
    @inlinable @inline(__always)
    public static func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Stores the eight lanes of `v` at `p`, unaligned.
    @inlinable @inline(__always)
    public static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// Eight labels or indices from `p`, unaligned.
    @inlinable @inline(__always)
    public static func load(_ p: UnsafePointer<Int32>) -> SIMD8<Int32> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Int32>.self)
    }

    /// Stores eight keys (``SortKey``s) at `p`, unaligned.
    @inlinable @inline(__always)
    public static func store(_ v: SIMD8<UInt64>, _ p: UnsafeMutablePointer<UInt64>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<UInt64>.self)
    }
}

/// A reused buffer of `T` that hands out its memory as a pointer, without a
/// closure per buffer: a hot path's workspaces become typed stored slices
/// (a struct whose properties are pointers into these buffers) instead of a
/// pyramid of `withUnsafe…` calls and offsets described in prose.
///
/// Grown by ``reserve(_:)`` (contents then unspecified), never shrunk;
/// owned by one computation at a time (a loss, a miner): copies of the
/// owner share it, which is safe because no call keeps data in it between
/// calls.
public final class ScratchBuffer<T>: @unchecked Sendable {
    public private(set) var base: UnsafeMutablePointer<T>
    public private(set) var capacity = 0

    public init() { base = UnsafeMutablePointer<T>.allocate(capacity: 1) }

    deinit { base.deallocate() }

    /// Makes room for at least `count` elements; returns the base.
    @discardableResult
    public func reserve(_ count: Int) -> UnsafeMutablePointer<T> {
        if count > capacity {
            base.deallocate()
            base = UnsafeMutablePointer<T>.allocate(capacity: count)
            capacity = count
        }
        return base
    }

    /// Part `part` of `count` parts of `stride` elements each, after `offset` shared elements.
    @inlinable
    public func part(_ part: Int, stride: Int, after offset: Int = 0) -> UnsafeMutablePointer<T> {
        base + offset + part * stride
    }
}
