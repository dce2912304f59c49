/// Where a sweep stands, handed to `RunnerOptions.progress` each time a run starts or finishes.
///
/// The harness only measures; the command line decides how to show it (an
/// updating line on a terminal, one line per finished run in a log).
public struct RunProgress: Sendable {
    public enum Event: Sendable {
        case started(PlannedRun)
        case finished(RunRecord)
    }

    /// What just happened.
    public var event: Event
    /// Runs this call trains (the pending ones; finished runs of earlier calls are not counted).
    public var total: Int
    /// Runs of `total` that finished, whatever their status.
    public var done: Int
    public var running: Int
    public var ok: Int
    public var diverged: Int
    public var failed: Int
    public var elapsedSeconds: Double
    /// Estimated seconds until every run finished; nil until a run finished (nothing measured yet).
    public var etaSeconds: Double?

    public init(event: Event, total: Int, done: Int, running: Int, ok: Int, diverged: Int, failed: Int,
                elapsedSeconds: Double, etaSeconds: Double?) {
        self.event = event
        self.total = total
        self.done = done
        self.running = running
        self.ok = ok
        self.diverged = diverged
        self.failed = failed
        self.elapsedSeconds = elapsedSeconds
        self.etaSeconds = etaSeconds
    }

    /// Seconds until a sweep finishes, from the measured wall time of its finished runs.
    ///
    /// Each queued run is expected to take the mean measured run time, and each
    /// running one the rest of it (never less than nothing); `jobs` workers
    /// share that work: `(queued · mean + Σ max(0, mean − elapsedᵢ)) / jobs`.
    /// nil when no run has finished yet.
    public static func estimatedSeconds(finishedRunSeconds: Double, finishedRuns: Int, queued: Int,
                                        runningElapsed: [Double], jobs: Int) -> Double? {
        guard finishedRuns > 0 else { return nil }
        let mean = finishedRunSeconds / Double(finishedRuns)
        let rest = runningElapsed.reduce(0) { $0 + max(0, mean - $1) }
        return (Double(queued) * mean + rest) / Double(max(1, jobs))
    }
}
