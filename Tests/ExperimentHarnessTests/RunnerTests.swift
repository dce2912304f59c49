import Foundation
import NumericCore
import Testing
@testable import ExperimentHarness

/// A stand-in for training: metrics are a pure function of the variant id and seed,
/// so resume and shard behaviour can be checked without training anything.
struct FakeExecutor: RunExecutor {
    var divergeLoss: String? = nil
    let calls = CallLog()

    func execute(_ run: PlannedRun, spec: ExperimentSpec, context: ComputeContext) -> RunRecord {
        calls.add(run.key)
        var r = RunRecord(run: run, experiment: spec.name)
        r.codeVersion = "test"
        r.finishedAt = "2026-01-01T00:00:00Z"
        r.threads = context.workers
        if run.variant.configuration.loss.loss.rawValue == divergeLoss {
            r.status = .diverged
            r.divergedEpoch = 1
            r.reason = "loss is nan"
            return r
        }
        r.status = .ok
        let h = Double(UInt64(run.variant.id, radix: 16)! % 1000) / 1000
        for (i, m) in spec.metrics.enumerated() {
            r.metrics[m.name] = (h * 0.5 + Double(run.seed) * 0.01 + Double(i) * 0.001)
        }
        r.epochs = [EpochRecord(epoch: 1, loss: 0.5, activeFraction: 0.25, seconds: 0.1)]
        return r
    }
}

final class CallLog: @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [String] = []
    func add(_ k: String) { lock.lock(); keys.append(k); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return keys }
}

func temporaryDirectory() -> String {
    let d = NSTemporaryDirectory() + "metricbench-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

@Sendable func quiet(_: String) {}

@Test func finishedRunsAreNeverRecomputed() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let dir = temporaryDirectory()
    let store = try RunStore(directory: dir)
    let first = FakeExecutor()
    var options = RunnerOptions()
    options.jobs = 2
    let t1 = try Runner.run(plan, store: store, executor: first, options: options, log: quiet)
    #expect(t1.ok == plan.runs.count)
    #expect(Set(first.calls.all) == Set(plan.runs.map(\.key)))
    let second = FakeExecutor()
    let t2 = try Runner.run(plan, store: store, executor: second, options: options, log: quiet)
    #expect(second.calls.all.isEmpty)
    #expect(t2.alreadyDone == plan.runs.count)
    options.force = true
    let third = FakeExecutor()
    _ = try Runner.run(plan, store: store, executor: third, options: options, log: quiet)
    #expect(third.calls.all.count == plan.runs.count)
}

@Test func aCrashedSweepResumesWithOnlyTheMissingRuns() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let dir = temporaryDirectory()
    let store = try RunStore(directory: dir)
    // Simulate a crash: five runs finished, and one was being written when the process died.
    let fake = FakeExecutor()
    for run in plan.runs.prefix(5) { try store.write(fake.execute(run, spec: plan.spec, context: .serial)) }
    let partial = store.runsDirectory + "/.\(plan.runs[5].key).json.tmp-999-1"
    try Data("{\"key\": \"trunc".utf8).write(to: URL(fileURLWithPath: partial))
    let resumed = FakeExecutor()
    let tally = try Runner.run(plan, store: store, executor: resumed, options: RunnerOptions(), log: quiet)
    #expect(!FileManager.default.fileExists(atPath: partial))
    #expect(tally.alreadyDone == 5)
    #expect(Set(resumed.calls.all) == Set(plan.runs.dropFirst(5).map(\.key)))
    let (records, problems) = store.records()
    #expect(problems.isEmpty)
    #expect(records.map(\.key).sorted() == plan.runs.map(\.key).sorted())
}

@Test func shardsPartitionTheRuns() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    for n in 1...5 {
        let shards = (0..<n).map { plan.runs(shard: $0, of: n).map(\.key) }
        let union = shards.flatMap { $0 }
        #expect(union.count == plan.runs.count)
        #expect(Set(union) == Set(plan.runs.map(\.key)))
    }
    // Shards written to one folder report exactly like a single process.
    let single = temporaryDirectory(), sharded = temporaryDirectory()
    _ = try Runner.run(plan, store: RunStore(directory: single), executor: FakeExecutor(), options: RunnerOptions(), log: quiet)
    for i in 0..<3 {
        var o = RunnerOptions()
        o.shard = (i, 3)
        _ = try Runner.run(plan, store: RunStore(directory: sharded), executor: FakeExecutor(), options: o, log: quiet)
    }
    let a = ResultSet(plan: plan, records: try RunStore(directory: single).records().records)
    let b = ResultSet(plan: plan, records: try RunStore(directory: sharded).records().records)
    #expect(CSVReport.results(a) == CSVReport.results(b))
    #expect(MarkdownTables.render(a) == MarkdownTables.render(b))
}

@Test func divergedRunsAreRecordedAndShown() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let dir = temporaryDirectory()
    let store = try RunStore(directory: dir)
    let tally = try Runner.run(plan, store: store, executor: FakeExecutor(divergeLoss: "lifted"), options: RunnerOptions(), log: quiet)
    #expect(tally.diverged == 4)  // lifted × {all, hard} × 2 seeds
    let set = ResultSet(plan: plan, records: store.records().records)
    let md = MarkdownTables.render(set)
    #expect(md.contains("| lifted | diverged | n/a | diverged |"))
    let csv = CSVReport.results(set)
    #expect(csv.contains(",diverged,loss is nan,lifted,"))
}

/// Reports are pure functions of the records: a fixed set of records gives byte-identical files.
/// Regenerate after an intended change with METRICBENCH_UPDATE_GOLDEN=1 and review the diff.
@Test func reportsMatchTheGoldenFiles() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let fake = FakeExecutor(divergeLoss: "lifted")
    let records = plan.runs.map { fake.execute($0, spec: plan.spec, context: ComputeContext(workers: 2)) }
    let set = ResultSet(plan: plan, records: records)
    let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    for (name, text) in [("results.csv", CSVReport.results(set)), ("summary.csv", CSVReport.summary(set)), ("tables.md", MarkdownTables.render(set))] {
        let url = golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["METRICBENCH_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: golden, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "\(name) differs from its golden file")
    }
}

@Test func statisticsMatchKnownValues() {
    // t_{0.975} for 2 and 4 degrees of freedom: 4.302653, 2.776445 (standard tables).
    #expect(abs(Statistics.studentQuantile975(df: 2) - 4.302653) < 1e-5)
    #expect(abs(Statistics.studentQuantile975(df: 4) - 2.776445) < 1e-5)
    let s = SampleSummary([1, 2, 3])!
    #expect(s.mean == 2 && abs(s.std - 1) < 1e-12)
    #expect(abs(s.ci95! - 4.302653 / 3.0.squareRoot()) < 1e-5)
    // scipy.stats.ttest_ind([1,2,3,4], [2,4,6,9], equal_var=False).pvalue = 0.164702
    let p = Statistics.welchPValue([1, 2, 3, 4], [2, 4, 6, 9])!
    #expect(abs(p - 0.164702) < 1e-5)
}

@Test func checkFailsOnAnInjectedDropAndPassesOnTheBaseline() throws {
    let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/summary.csv")
    let baseline = try String(contentsOf: golden, encoding: .utf8)
    let same = try RegressionCheck.compare(current: baseline, baseline: baseline, tolerance: 0.01, baselinePath: "b.csv")
    #expect(same.regressions.isEmpty)
    #expect(same.compared == 8 * 5)  // 8 variants with finished runs × 5 metrics
    // Drop recall@1 of the first variant by 0.05: one regression, named.
    var lines = baseline.components(separatedBy: "\r\n")
    var cells = lines[1].components(separatedBy: ",")
    let header = lines[0].components(separatedBy: ",")
    let column = header.firstIndex(of: "recall@1_mean")!
    cells[column] = String(Double(cells[column])! - 0.05)
    lines[1] = cells.joined(separator: ",")
    let dropped = try RegressionCheck.compare(current: lines.joined(separator: "\r\n"), baseline: baseline, tolerance: 0.01, baselinePath: "b.csv")
    #expect(dropped.regressions.map(\.metric) == ["recall@1"])
    #expect(dropped.regressions.first?.variantID == cells[0])
    // A variant missing from the results is a regression too.
    let missing = try RegressionCheck.compare(current: lines.prefix(1).joined(), baseline: baseline, tolerance: 0.01, baselinePath: "b.csv")
    #expect(missing.regressions.count == 40)
}

/// Records of another OpenBLAS kernel set differ in the last bits: `run` adds
/// nothing to their folder, and no summary mixes two sets; records without
/// the field (written before it) match any set.
@Test func runsOfAnotherBLASKernelSetAreNeverMixedIntoAFolder() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let dir = temporaryDirectory()
    let store = try RunStore(directory: dir)
    let fake = FakeExecutor()
    var foreign = fake.execute(plan.runs[0], spec: plan.spec, context: .serial)
    foreign.blasKernel = BLAS.kernel == "SkylakeX" ? "Haswell" : "SkylakeX"
    try store.write(foreign)
    let second = FakeExecutor()
    #expect(throws: KernelMismatch.self) { try Runner.run(plan, store: store, executor: second, options: RunnerOptions(), log: quiet) }
    #expect(second.calls.all.isEmpty)
    let message = "\(KernelMismatch(counts: [foreign.blasKernel!: 1], directory: dir, current: BLAS.kernel))"
    #expect(message.contains("OPENBLAS_CORETYPE=\(foreign.blasKernel!)") && message.contains(dir))

    var same = foreign
    same.blasKernel = BLAS.kernel
    #expect(throws: KernelMismatch.self) { try KernelMismatch.check([foreign, same], directory: dir) }
    var old = foreign
    old.blasKernel = nil
    try KernelMismatch.check([old, same], directory: dir, current: BLAS.kernel)
    try KernelMismatch.check([same, same], directory: dir, current: BLAS.kernel)
}

/// tables.md compares cells paired by seed (DESIGN §11): a small difference repeated on every seed
/// is significant although the seeds spread far more than it (Welch's test would not see it), and
/// cells that share fewer than two seeds fall back to Welch's test. References: scipy 1.x,
/// `ttest_rel` and `ttest_ind(equal_var=False)`.
@Test func tableCellsAreComparedPairedBySeed() throws {
    typealias Cell = MarkdownTables.Cell
    let a = Cell(text: "", values: [0.50, 0.60, 0.70], bySeed: [0: 0.50, 1: 0.60, 2: 0.70])
    let b = Cell(text: "", values: [0.511, 0.6105, 0.7102], bySeed: [0: 0.511, 1: 0.6105, 2: 0.7102])
    let paired = try #require(MarkdownTables.comparisonPValue(a, b, seeds: [0, 1, 2]))
    #expect(abs(paired - 0.00048725919611297545) < 1e-9)
    let welch = try #require(Statistics.welchPValue(a.values, b.values))
    #expect(abs(welch - 0.9030839632964648) < 1e-9)
    // Seeds 5 and 6 finished only for one cell, 7 only for the other: one shared seed, so Welch's test.
    let c = Cell(text: "", values: [0.5, 0.6], bySeed: [5: 0.5, 7: 0.6])
    let d = Cell(text: "", values: [0.52, 0.63, 0.7], bySeed: [5: 0.52, 6: 0.63, 8: 0.7])
    let fallback = try #require(MarkdownTables.comparisonPValue(c, d, seeds: [5, 6, 7, 8]))
    #expect(abs(fallback - 0.4308110387873714) < 1e-9)
    // A single value on each side: no test, no mark.
    #expect(MarkdownTables.comparisonPValue(Cell(text: "", values: [1], bySeed: [0: 1]),
                                            Cell(text: "", values: [2], bySeed: [1: 2]), seeds: [0, 1]) == nil)
}
