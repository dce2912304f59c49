import CKernels
import Dispatch
import Foundation
import Synchronization

/// Threads that run ``Parallel``'s parts, kept awake for a short while after
/// each hand-off so that the next one costs about a microsecond.
///
/// Why not `DispatchQueue.concurrentPerform` alone: on this project's
/// machines (virtual, two cores) waking an idle libdispatch thread costs
/// 40–46 µs per hand-off, and a training step at batch 128 hands off about a
/// dozen times (every GEMM tile set, Adam, the gather, the loss's passes), a
/// large part of what separates the step from its GEMM limit
/// (`benchmarks/2026-11-30-steploss/`). A helper here spins on its slot for
/// ``spinNanoseconds`` after finishing (yielding the core after the first few
/// microseconds, so a spinner never holds a core that another runnable thread
/// needs for long), then parks on a semaphore until the next hand-off.
///
/// Which thread runs which iteration never matters to the results: callers
/// fix their parts by the problem's shape, and iterations are claimed from one
/// counter as in libdispatch. A pool serves one caller at a time; concurrent
/// callers (two runs in one process) each take another pool, and a nested
/// call (from inside an iteration) or a caller beyond ``maximumPools`` falls
/// back to `concurrentPerform` — the same parts, only a slower hand-off.
final class WorkerPool: @unchecked Sendable {
    /// How long a helper waits awake for the next hand-off before parking.
    /// `METRICBENCH_SPIN_US` overrides it (0: park at once, the old cost).
    static let spinNanoseconds: UInt64 = {
        let fallback: UInt64 = 200
        guard let text = ProcessInfo.processInfo.environment["METRICBENCH_SPIN_US"] else { return fallback * 1_000 }
        guard let us = UInt64(text), us <= 1_000_000 else {
            FileHandle.standardError.write(Data((
                "metricbench: METRICBENCH_SPIN_US=\(text) is not a whole number of microseconds from 0 to "
                + "1000000; using \(fallback)\n").utf8))
            return fallback * 1_000
        }
        return us * 1_000
    }()

    /// Pools kept at most; callers beyond them use libdispatch.
    static let maximumPools = 8

    private static let registry = Mutex<[WorkerPool]>([])

    /// Runs `body(i)` for every `i` in `0..<iterations`, each exactly once,
    /// on the calling thread and `iterations − 1` helpers; returns when all
    /// are done.
    static func perform(iterations: Int, _ body: (Int) -> Void) {
        guard iterations > 1 else {
            if iterations == 1 { body(0) }
            return
        }
        guard let pool = acquire() else {
            DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
            return
        }
        pool.run(iterations: min(iterations, 64), total: iterations, body)
        pool.busy.store(false, ordering: .releasing)
    }

    private static func acquire() -> WorkerPool? {
        registry.withLock { pools in
            for pool in pools where pool.busy.compareExchange(
                expected: false, desired: true, ordering: .acquiring).exchanged {
                return pool
            }
            guard pools.count < maximumPools else { return nil }
            let pool = WorkerPool()
            pool.busy.store(true, ordering: .relaxed)
            pools.append(pool)
            return pool
        }
    }

    // MARK: - One pool

    /// Held by the caller that owns the pool for one `perform`.
    let busy = Atomic<Bool>(false)
    private var helpers: [Helper] = []
    private var job: ((Int) -> Void)?
    private var total = 0
    private let next = Atomic<Int>(0)
    private var generation = 0

    /// One helper thread's hand-off slot.
    final class Helper: @unchecked Sendable {
        /// The hand-off the helper should run next; `done` the last it finished.
        let generation = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        /// True while the helper sleeps (or is about to) on `wake`.
        let parked = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    private func run(iterations participants: Int, total: Int, _ body: (Int) -> Void) {
        while helpers.count < participants - 1 { startHelper() }
        withoutActuallyEscaping(body) { body in
            job = body
            self.total = total
            next.store(0, ordering: .relaxed)
            generation += 1
            let g = generation
            for helper in helpers.prefix(participants - 1) {
                helper.generation.store(g, ordering: .sequentiallyConsistent)
                if helper.parked.exchange(false, ordering: .sequentiallyConsistent) { helper.wake.signal() }
            }
            claimIterations(body)
            for helper in helpers.prefix(participants - 1) {
                var spins = 0
                while helper.done.load(ordering: .acquiring) != g {
                    spins += 1
                    if spins < 4_096 { Self.relax() } else { sched_yield() }
                }
            }
            job = nil
        }
    }

    private func claimIterations(_ body: (Int) -> Void) {
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= total { return }
            body(i)
        }
    }

    private func startHelper() {
        let helper = Helper()
        helpers.append(helper)
        let thread = Thread { [unowned self] in self.serve(helper) }
        thread.name = "metricbench-worker"
        thread.start()
    }

    /// A helper's life: wait for a hand-off (spinning, then parked), run its
    /// share of the iterations, report, repeat.
    private func serve(_ helper: Helper) {
        var seen = 0
        while true {
            seen = waitForHandOff(helper, after: seen)
            runShare()
            helper.done.store(seen, ordering: .releasing)
        }
    }

    /// Kept apart so the helper's reference to the job is released before it
    /// reports done (`withoutActuallyEscaping` checks that none is left).
    @inline(never)
    private func runShare() {
        guard let body = job else { return }
        claimIterations(body)
    }

    private func waitForHandOff(_ helper: Helper, after seen: Int) -> Int {
        let start = MonotonicClock.now()
        var spins = 0
        while true {
            let g = helper.generation.load(ordering: .acquiring)
            if g != seen { return g }
            spins += 1
            if spins < 256 {
                Self.relax()
                continue
            }
            if MonotonicClock.now() &- start < Self.spinNanoseconds {
                sched_yield()
                continue
            }
            // Park: announce it, then look once more (the caller stores the
            // generation before it reads `parked`, so one of us sees the other).
            helper.parked.store(true, ordering: .sequentiallyConsistent)
            let after = helper.generation.load(ordering: .sequentiallyConsistent)
            if after != seen {
                // Woken before sleeping; if the caller already took `parked`,
                // its signal is on the way and must be consumed.
                if !helper.parked.exchange(false, ordering: .sequentiallyConsistent) { helper.wake.wait() }
                return helper.generation.load(ordering: .acquiring)
            }
            helper.wake.wait()
            spins = 0
        }
    }

    @inline(__always)
    private static func relax() { mb_cpu_relax() }
}
