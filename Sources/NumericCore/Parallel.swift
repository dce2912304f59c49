import Dispatch
import Synchronization

/// Splitting O(B²) loops of a step over a ``ComputeContext``'s workers.
///
/// Work is divided into contiguous ranges of rows; each row is processed by
/// exactly one worker with the same arithmetic whatever the number of
/// workers, so results that are combined per row in row order do not depend
/// on the thread count.
public enum Parallel {
    /// Calls `body(range)` for `parts` contiguous ranges covering `0..<count`
    /// whose costs are balanced for per-index cost `cost(i)` (for example
    /// `count − i` for an upper triangle), in parallel when `parts > 1`.
    ///
    /// - Complexity: O(count) to balance, then the work of `body`.
    public static func forEachRange(
        _ count: Int, parts: Int, cost: (Int) -> Double = { _ in 1 }, _ body: (Range<Int>) -> Void
    ) {
        forEachPart(count, parts: parts, cost: cost) { _, range in body(range) }
    }

    /// `forEachRange` that also passes the part's number (`0..<parts`), for
    /// per-worker workspaces.
    public static func forEachPart(
        _ count: Int, parts: Int, cost: (Int) -> Double = { _ in 1 }, _ body: (Int, Range<Int>) -> Void
    ) {
        let parts = max(1, min(parts, count))
        if parts == 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        var total = 0.0
        for i in 0..<count { total += cost(i) }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: parts + 1) { bounds in
            bounds.initialize(repeating: count)
            bounds[0] = 0
            var running = 0.0, part = 1
            for i in 0..<count where part < parts {
                running += cost(i)
                while part < parts && running >= total * Double(part) / Double(parts) {
                    bounds[part] = i + 1
                    part += 1
                }
            }
            WorkerPool.perform(iterations: parts) { p in
                let range = bounds[p]..<bounds[p + 1]
                if !range.isEmpty { body(p, range) }
            }
        }
    }

    /// Calls `body(worker, range)` over `0..<count` in chunks of `chunk`
    /// indices that `workers` workers take in turn as they finish (so costly
    /// stretches of indices do not leave a worker idle); `worker` in
    /// `0..<workers` names a per-worker workspace. Which worker runs which
    /// chunk varies between calls: `body` must compute each index the same
    /// way whoever runs it.
    ///
    /// - Complexity: the work of `body`, plus one atomic increment per chunk.
    public static func forEachChunk(
        _ count: Int, chunk: Int, workers: Int, _ body: (_ worker: Int, Range<Int>) -> Void
    ) {
        precondition(chunk > 0, "chunks must be non-empty")
        let chunks = (count + chunk - 1) / chunk
        let workers = max(1, min(workers, chunks))
        if workers == 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        let next = Atomic<Int>(0)
        WorkerPool.perform(iterations: workers) { worker in
            while true {
                let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if c >= chunks { return }
                body(worker, (c * chunk)..<min(count, c * chunk + chunk))
            }
        }
    }

    /// Calls `body(worker)` for `worker` in `0..<workers` on that many
    /// threads at once (the calling thread alone when `workers ≤ 1`).
    public static func forEachWorker(_ workers: Int, _ body: (_ worker: Int) -> Void) {
        if workers <= 1 { body(0); return }
        WorkerPool.perform(iterations: workers, body)
    }
}
