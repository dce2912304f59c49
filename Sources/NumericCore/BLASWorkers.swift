import COpenBLAS
import Dispatch
import Synchronization

extension BLAS {
    /// Runs `body(w)` for `w` in `0..<workers` on that many threads at once,
    /// with OpenBLAS single-threaded for the duration: each worker's products
    /// run on its own core, so independent GEMMs (and the work between them)
    /// overlap instead of taking turns on a shared pool whose idle threads
    /// spin in `sched_yield` while the caller does non-BLAS work.
    ///
    /// Nested or concurrent calls are counted: the thread count saved by the
    /// first is restored by the last to leave. Other threads of the process
    /// calling BLAS meanwhile get single-threaded products too (same values:
    /// OpenBLAS splits a GEMM's output among threads, not its inner sums).
    ///
    /// `workers ≤ 1` runs `body(0)` on the calling thread with the thread count untouched.
    public static func withSingleThreadedWorkers(_ workers: Int, _ body: (Int) -> Void) {
        guard workers > 1 else { body(0); return }
        _singleThreadScope.withLock { state in
            if state.depth == 0 { state.saved = threads; openblas_set_num_threads(1) }
            state.depth += 1
        }
        defer {
            _singleThreadScope.withLock { state in
                state.depth -= 1
                if state.depth == 0 { openblas_set_num_threads(Int32(state.saved)) }
            }
        }
        DispatchQueue.concurrentPerform(iterations: workers, execute: body)
    }
}

private struct _SingleThreadState { var depth = 0, saved = 1 }
private let _singleThreadScope = Mutex(_SingleThreadState())
