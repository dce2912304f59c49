/// Explicitly vectorised elementwise kernels for the hot loops of a step.
///
/// The compiler cannot prove that the raw buffers of a step do not alias, so
/// it leaves scalar loops scalar; these kernels process eight lanes at a time
/// with `SIMD8<Float>` and finish the tail one value at a time.
enum _Vectorized {
    typealias V = SIMD8<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>, _ i: Int) -> V {
        UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
    }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self)
    }

    /// Lane-wise square root (``SIMDMath/squareRoot(_:)``).
    @inline(__always) static func squareRoot(_ v: V) -> V { SIMDMath.squareRoot(v) }

    /// `y[i] += x[i]` for `i < n`.
    @inline(__always) static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + 8 <= n { store(load(y, i) + load(x, i), y, i); i += 8 }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// `y[i] = max(x[i], 0)`.
    static func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        let zero = V.zero
        while i + 8 <= n {
            let v = load(x, i)
            store(v.replacing(with: zero, where: v .< zero), y, i)
            i += 8
        }
        while i < n { y[i] = max(x[i], 0); i += 1 }
    }

    /// `dx[i] = x[i] > 0 ? g[i] : 0`.
    static func reluBackward(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        let zero = V.zero
        while i + 8 <= n { store(load(g, i).replacing(with: zero, where: load(x, i) .<= zero), dx, i); i += 8 }
        while i < n { dx[i] = x[i] > 0 ? g[i] : 0; i += 1 }
    }
}
