/// How many threads one computation may use, passed explicitly to whatever
/// runs in parallel (layers, losses, metrics); nothing reads a process-wide
/// thread count.
///
/// Results never depend on `workers`: every parallel product and reduction is
/// split into parts fixed by the problem's shape (``BLAS/gemm(_:_:_:_:into:alpha:beta:context:)``
/// tiles, per-row passes), and the workers only decide who computes which part.
/// Two runs in one process, each with its own context, cannot change each
/// other's parallelism.
public struct ComputeContext: Sendable, Hashable {
    /// Threads this computation may occupy at once (at least 1).
    public let workers: Int

    public init(workers: Int) {
        precondition(workers >= 1, "a compute context needs at least one worker, got \(workers)")
        self.workers = min(workers, 64)
    }

    /// One thread: the calling one.
    public static let serial = ComputeContext(workers: 1)

    /// The number of parts for O(`work`) elementwise work: one below about
    /// 64k elements, where dispatching would cost more than it saves, else
    /// `workers`.
    public func parts(forWork work: Int) -> Int {
        work < 65_536 ? 1 : workers
    }
}
