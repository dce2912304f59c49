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
}
