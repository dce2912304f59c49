import Foundation
import Testing
@testable import ExperimentHarness

@Test func theETASharesTheQueuedAndTheRestOfTheRunningRunsAmongTheJobs() {
    // Mean of 4 finished runs: 10 s. 3 queued (30 s) + running for 4 s (6 s left) and 12 s (none left), on 2 jobs.
    let eta = RunProgress.estimatedSeconds(finishedRunSeconds: 40, finishedRuns: 4, queued: 3, runningElapsed: [4, 12], jobs: 2)
    #expect(eta == 18)
    #expect(RunProgress.estimatedSeconds(finishedRunSeconds: 0, finishedRuns: 0, queued: 5, runningElapsed: [1], jobs: 1) == nil)
    #expect(RunProgress.estimatedSeconds(finishedRunSeconds: 9, finishedRuns: 3, queued: 0, runningElapsed: [], jobs: 2) == 0)
}

final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [RunProgress] = []
    func add(_ p: RunProgress) { lock.lock(); events.append(p); lock.unlock() }
    var all: [RunProgress] { lock.lock(); defer { lock.unlock() }; return events }
}

@Test func theRunnerReportsEveryStartAndFinishWithConsistentCounts() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let events = ProgressLog()
    var options = RunnerOptions()
    options.jobs = 2
    options.progress = { events.add($0) }
    let lines = CallLog()
    let tally = try Runner.run(plan, store: RunStore(directory: temporaryDirectory()), executor: FakeExecutor(divergeLoss: "lifted"),
                               options: options, log: { lines.add($0) })
    let all = events.all
    let finished = all.filter { if case .finished = $0.event { return true } else { return false } }
    #expect(all.count == 2 * plan.runs.count)
    #expect(finished.count == plan.runs.count)
    #expect(finished.map(\.done) == Array(1...plan.runs.count), "one call at a time, in order")
    let last = try #require(finished.last)
    #expect(last.total == plan.runs.count)
    #expect(last.ok == tally.ok && last.diverged == tally.diverged && last.failed == 0)
    #expect(last.diverged > 0)
    #expect(finished.allSatisfy { $0.ok + $0.diverged + $0.failed == $0.done })
    #expect(finished.allSatisfy { $0.etaSeconds != nil })
    #expect(all.allSatisfy { $0.running <= 2 })
    // With a progress callback the runner leaves the per-run lines to it.
    #expect(!lines.all.contains { $0.contains(": ok") })
}
