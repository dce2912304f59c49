import Foundation
import NumericCore

/// Trains and evaluates one run. Failures are not thrown: they become
/// records with status `failed` or `diverged`, and the sweep goes on.
///
/// `context` is this run's share of the process's threads; the record's
/// numbers must not depend on it.
public protocol RunExecutor: Sendable {
    func execute(_ run: PlannedRun, spec: ExperimentSpec, context: ComputeContext) -> RunRecord
}

/// How `Runner.run` schedules the runs of a plan.
public struct RunnerOptions: Sendable {
    /// Runs trained at once; the threads are divided among them.
    public var jobs: Int = 1
    /// Total threads of this process.
    public var threads: Int = 2
    /// Only the runs of shard `index` of `count` (0-based).
    public var shard: (index: Int, count: Int)?
    /// Re-run finished runs.
    public var force: Bool = false
    /// Called (one call at a time) when a run starts and when it finishes; nil logs one line per finished run.
    public var progress: (@Sendable (RunProgress) -> Void)?

    public init() {}
}

/// What a call of `Runner.run` did.
public struct RunTally: Sendable, Equatable {
    public var selected = 0
    public var alreadyDone = 0
    public var ok = 0
    public var diverged = 0
    public var failed = 0
}

/// Runs the pending runs of a plan, writing one record per run as each finishes.
public enum Runner {
    public static func run(
        _ plan: ExperimentPlan, store: RunStore, executor: any RunExecutor, options: RunnerOptions,
        log: @escaping @Sendable (String) -> Void
    ) throws -> RunTally {
        try run(plan.runs, spec: plan.spec, store: store, executor: executor, options: options, log: log)
    }

    /// Runs the pending ones of `runs` (e.g. the trials of a tuning stage); a shard takes every
    /// `count`-th of them, starting at `index`, as `ExperimentPlan.runs(shard:of:)` does.
    public static func run(
        _ runs: [PlannedRun], spec: ExperimentSpec, store: RunStore, executor: any RunExecutor, options: RunnerOptions,
        log: @escaping @Sendable (String) -> Void
    ) throws -> RunTally {
        let selected = options.shard.map { s in runs.enumerated().filter { $0.offset % s.count == s.index }.map(\.element) } ?? runs
        // Only this shard's leftovers: other shards may be writing theirs right now.
        let removed = store.removeLeftovers(of: options.shard == nil ? nil : Set(selected.map(\.key)))
        if removed > 0 { log("removed \(removed) partial record(s) left by an interrupted run") }
        let (records, problems) = store.records()
        problems.forEach(log)
        try KernelMismatch.check(records.filter { $0.status != .failed }, directory: store.directory, current: BLAS.kernel)
        // A failed run (an error, not a divergence) is tried again; ok and diverged are results.
        let done = Set(records.filter { $0.status != .failed }.map(\.key))
        let pending = options.force ? selected : selected.filter { !done.contains($0.key) }
        var tally = RunTally()
        tally.selected = selected.count
        tally.alreadyDone = selected.count - pending.count
        let jobs = max(1, min(options.jobs, pending.count))
        let threadsPerJob = max(1, options.threads / jobs)
        let context = ComputeContext(workers: threadsPerJob)
        if pending.isEmpty { return tally }
        log("\(pending.count) run(s) to do (\(tally.alreadyDone) already done), \(jobs) job(s) × \(threadsPerJob) thread(s)")

        let shared = _WorkQueue(tally: tally, workers: jobs)
        let sweepStart = Date()
        let lock = shared.lock
        let start = MonotonicClock.now()
        // Called with `lock` held, so progress calls never overlap and see consistent counts.
        @Sendable func report(_ event: RunProgress.Event) {
            guard let progress = options.progress else { return }
            let now = MonotonicClock.now()
            let running = shared.runStarts.compactMap { $0.map { Double(now &- $0) / 1e9 } }
            let eta = RunProgress.estimatedSeconds(
                finishedRunSeconds: shared.finishedRunSeconds, finishedRuns: shared.finished,
                queued: pending.count - shared.next, runningElapsed: running, jobs: jobs)
            progress(RunProgress(event: event, total: pending.count, done: shared.finished, running: running.count,
                                 ok: shared.tally.ok, diverged: shared.tally.diverged, failed: shared.tally.failed,
                                 elapsedSeconds: Double(now &- start) / 1e9, etaSeconds: eta))
        }
        let group = DispatchGroup()
        for worker in 0..<jobs {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while true {
                    // The plan's runs first; then the runs another process held, waiting for each in turn.
                    lock.lock()
                    guard shared.firstError == nil else { lock.unlock(); return }
                    let run: PlannedRun
                    let wait: Bool
                    if shared.next < pending.count {
                        run = pending[shared.next]
                        shared.next += 1
                        wait = false
                    } else if !shared.heldElsewhere.isEmpty {
                        run = shared.heldElsewhere.removeFirst()
                        wait = true
                    } else {
                        lock.unlock()
                        return
                    }
                    lock.unlock()

                    // Claimed before it trains: another process on this folder may be at the same run.
                    let claim: RunClaim?
                    do { claim = try RunClaim.claim(key: run.key, in: store.runsDirectory, wait: wait) } catch {
                        lock.lock(); shared.firstError = shared.firstError ?? error; lock.unlock()
                        return
                    }
                    guard let claim else {
                        lock.lock()
                        shared.heldElsewhere.append(run)
                        log("\(run.key): being run by another process; this one takes it up if that one stops")
                        lock.unlock()
                        continue
                    }
                    // Written by another process meanwhile: a result of this sweep, even a failure (tried again next time).
                    if !options.force, let finished = store.record(run.key), finished.record.status != .failed || finished.written >= sweepStart {
                        claim.release()
                        lock.lock()
                        shared.finished += 1
                        shared.tally.alreadyDone += 1
                        log("[\(shared.finished)/\(pending.count)] \(run.key): finished by another process meanwhile")
                        lock.unlock()
                        continue
                    }
                    lock.lock()
                    let runStart = MonotonicClock.now()
                    shared.runStarts[worker] = runStart
                    report(.started(run))
                    lock.unlock()

                    let record = executor.execute(run, spec: spec, context: context)
                    var writeError: (any Error)?
                    do { try store.write(record) } catch { writeError = error }
                    claim.release()

                    lock.lock()
                    shared.finished += 1
                    shared.finishedRunSeconds += MonotonicClock.seconds(since: runStart)
                    shared.runStarts[worker] = nil
                    if let e = writeError {
                        shared.firstError = shared.firstError ?? e
                    } else {
                        switch record.status {
                        case .ok: shared.tally.ok += 1
                        case .diverged: shared.tally.diverged += 1
                        case .failed: shared.tally.failed += 1
                        }
                    }
                    if options.progress == nil {
                        log(describe(record, shared.finished, pending.count))
                    } else {
                        report(.finished(record))
                    }
                    lock.unlock()
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        if let e = shared.firstError { throw e }
        return shared.tally
    }

    /// One line for a finished run: `[done/total] key what: ok recall@1 …, seconds` (or DIVERGED / FAILED and why).
    public static func describe(_ r: RunRecord, _ done: Int, _ total: Int) -> String {
        let c = r.configuration
        let what = "\(c.loss.loss.rawValue)/\(c.loss.mining.rawValue) b\(c.train.batchSize) d\(c.embeddingDim) seed \(r.seed)"
        switch r.status {
        case .ok:
            let r1 = r.metrics[MetricID.recall(1).name].map { String(format: " recall@1 %.4f", $0) } ?? ""
            return "[\(done)/\(total)] \(r.key) \(what): ok\(r1), \(String(format: "%.1f", r.trainSeconds + r.evalSeconds)) s"
        case .diverged:
            return "[\(done)/\(total)] \(r.key) \(what): DIVERGED in epoch \(r.divergedEpoch ?? 0): \(r.reason ?? "")"
        case .failed:
            return "[\(done)/\(total)] \(r.key) \(what): FAILED: \(r.reason ?? "")"
        }
    }
}

/// The state the worker threads of `Runner.run` share; every access holds `lock`.
final class _WorkQueue: @unchecked Sendable {
    let lock = NSLock()
    var next = 0
    /// Runs whose claim another process held when their turn came: waited for once the plan's other runs are done.
    var heldElsewhere: [PlannedRun] = []
    var finished = 0
    var firstError: (any Error)?
    var tally: RunTally
    /// Wall seconds of the finished runs, for the ETA.
    var finishedRunSeconds = 0.0
    /// When each worker's current run started; nil while it is idle.
    var runStarts: [UInt64?]

    init(tally: RunTally, workers: Int) {
        self.tally = tally
        runStarts = Array(repeating: nil, count: workers)
    }
}
