import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// A dense row-major matrix of `Float`.
///
/// Element `(i, j)` lives at `storage[i * cols + j]`. A `Matrix` is a value
/// type backed by an `Array`, so a workspace that is kept and reused (and not
/// shared) is written in place without copies.
public struct Matrix: Equatable, Sendable {
    public private(set) var rows: Int
    public private(set) var cols: Int
    public var storage: [Float]

    /// A `rows × cols` matrix filled with `value`.
    ///
    /// On Linux a matrix of 32 MB or more (a dataset) asks for transparent huge pages before its
    /// pages are first written, so the batch gather's random rows do not each cost a TLB miss
    /// (where the kernel's THP setting is `madvise`, as on Debian; a hint, never an error).
    public init(rows: Int, cols: Int, value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "negative matrix shape \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        let n = rows * cols
        if n * MemoryLayout<Float>.stride < Self.hugePageThreshold {
            self.storage = [Float](repeating: value, count: n)
        } else {
            self.storage = [Float](unsafeUninitializedCapacity: n) { buffer, count in
                Self.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
                buffer.initialize(repeating: value)
                count = n
            }
        }
    }

    /// The size from which `init(rows:cols:value:)` advises huge pages.
    static let hugePageThreshold = 32 << 20

    /// `madvise(MADV_HUGEPAGE)` over the 2 MB pages wholly inside `buffer`.
    static func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        guard let base = buffer.baseAddress else { return }
        let huge = 2 << 20
        let start = (Int(bitPattern: base) + huge - 1) / huge * huge
        let end = (Int(bitPattern: base) + buffer.count) / huge * huge
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
        #endif
    }

    /// A `rows × cols` matrix over `storage` (row-major, `rows * cols` values).
    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(storage.count == rows * cols, "storage has \(storage.count) values, shape \(rows)×\(cols) needs \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from nested rows (for tests and fixtures).
    public init(_ nested: [[Float]]) {
        let c = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == c }, "ragged rows")
        self.init(rows: nested.count, cols: c, storage: nested.flatMap { $0 })
    }

    public var count: Int { rows * cols }

    @inlinable
    public subscript(i: Int, j: Int) -> Float {
        get { storage[i * cols + j] }
        set { storage[i * cols + j] = newValue }
    }

    /// Row `i` as an array (a copy; for tests and reports, not hot loops).
    public func row(_ i: Int) -> [Float] { Array(storage[(i * cols)..<((i + 1) * cols)]) }

    /// Changes the shape, keeping capacity: a workspace that only ever grows
    /// stops allocating after its largest use.
    public mutating func reshape(rows: Int, cols: Int) {
        let n = rows * cols
        if storage.count < n {
            storage.append(contentsOf: repeatElement(0, count: n - storage.count))
        } else if storage.count > n {
            storage.removeLast(storage.count - n)
        }
        self.rows = rows
        self.cols = cols
    }

    /// Sets every element to `value`.
    public mutating func fill(_ value: Float) {
        storage.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = value }
        }
    }

    /// The rows at `indices`, in that order.
    public func gatherRows(_ indices: [Int]) -> Matrix {
        var out = Matrix(rows: indices.count, cols: cols)
        gatherRows(indices, into: &out)
        return out
    }

    /// Writes the rows at `indices` into `out`, reshaping it; `context`'s
    /// workers copy contiguous ranges of the rows at once (the rows come from
    /// all over memory, so two cores hide more of its latency than one, and
    /// each prefetches the rows two ahead of its copy: `mb_gather_rows`).
    public func gatherRows(_ indices: [Int], into out: inout Matrix, context: ComputeContext = .serial) {
        out.reshape(rows: indices.count, cols: cols)
        let c = cols, n = rows
        for i in indices { precondition(i >= 0 && i < n, "row index \(i) out of 0..<\(n)") }
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                indices.withUnsafeBufferPointer { indices in
                    let src = src.baseAddress!, dst = dst.baseAddress!
                    let count = indices.count, at = indices.baseAddress!
                    Parallel.forEachRange(count, parts: context.parts(forWork: count * c)) { rows in
                        mb_gather_rows(src, c, at, rows.lowerBound, rows.upperBound, dst)
                    }
                }
            }
        }
    }

    /// True when every element is finite.
    ///
    /// An element is finite iff its exponent bits are not all ones, so the
    /// largest exponent field of the whole matrix decides: sixteen lanes of
    /// integer maxima without a branch per element (every loss checks its
    /// batch with this, serially, before its passes).
    public var isFinite: Bool {
        storage.withUnsafeBufferPointer { p in
            let exponent: UInt32 = 0x7F80_0000
            let n = p.count
            var top = SIMD16<UInt32>(repeating: 0)
            var i = 0
            if n >= 16 {
                let base = UnsafeRawPointer(p.baseAddress!)
                while i + 16 <= n {
                    let v = base.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<UInt32>.self)
                    top = pointwiseMax(top, v & SIMD16(repeating: exponent))
                    i += 16
                }
            }
            if top.max() == exponent { return false }
            while i < n {
                if !p[i].isFinite { return false }
                i += 1
            }
            return true
        }
    }
}
