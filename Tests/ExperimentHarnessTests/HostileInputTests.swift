import Foundation
import Testing
@testable import ExperimentHarness

// Hostile input and concurrent use of the harness (issue 18): every case is an
// error with a message naming the file, line or key — never a trap — and two
// sweeps of one folder never train a run twice.

// MARK: - Spec

@Test func duplicateYAMLKeyNamesItsLineNotTheWholeFile() throws {
    let text = "name: a\ndataset:\n  name: synthetic\n  name: npy\nseeds: [0]\n"
    let e = try #require(parseError(text))
    #expect(e.line == 4)
    #expect(e.key == "name")
    #expect(e.message == "appears twice in one mapping (first on line 3); keep one")
    #expect(!e.description.contains("seeds"))  // the rest of the file is not quoted
}

@Test func duplicateKeysAreFoundInFlowMappingsQuotedAndWithCRLF() throws {
    let flow = try #require(parseError("name: a\r\ndataset: { name: synthetic, 'classes': 10, classes : 12 }\r\nseeds: [0]\r\n"))
    #expect(flow.key == "classes" && flow.line == 2)
    #expect(SpecParser.linesDefining("seeds", in: "a: 1\r\n  - seeds: [0]\r\nb: { x: 1, \"seeds\": 2 }\nseedsx: 3\n") == [2, 3])
}

@Test func aDirectoryGivenAsTheSpecSaysItIsADirectory() throws {
    let dir = temporaryDirectory()
    #expect(throws: SpecError(file: dir, line: nil, key: "", message: "is a directory; give the experiment file (YAML), e.g. experiments/ci.yaml")) {
        try SpecParser.load(dir)
    }
}

@Test func aPlanAboveTheRunLimitIsRejectedBeforeItIsExpanded() throws {
    let values = "[" + (1...10).map { "0.\($0)" }.joined(separator: ", ") + "]"
    let ints = "[" + (1...10).map(String.init).joined(separator: ", ") + "]"
    let text = """
        name: big
        dataset: { name: synthetic }
        seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        sweeps:
          - { learning_rate: \(values), weight_decay: \(values), margin: \(values), epochs: \(ints), embedding_dim: \(ints) }
        """
    let start = Date()
    let e = try #require(parseError(text))
    #expect(Date().timeIntervalSince(start) < 5)  // counted, not expanded
    #expect(e.line == 5 && e.key == "sweeps")
    #expect(e.message.hasPrefix("the sweeps expand to 100000 variant(s) × 10 seed(s) = 1000000 runs, more than the limit of 100000"))
}

@Test func aGridWhoseSizeOverflowsIntIsRejected() throws {
    // 11 numeric axes of 60 values: 60¹¹ ≈ 3.6·10¹⁹ variants, more than Int.max.
    let axes = ["batch_size", "embedding_dim", "temperature", "samples_per_class", "classes_per_batch", "epochs",
                "margin", "pos_margin", "neg_margin", "learning_rate", "weight_decay"]
    let values = "[" + (1...60).map(String.init).joined(separator: ", ") + "]"
    let sweep = "  - { " + axes.map { "\($0): \(values)" }.joined(separator: ", ") + " }\n"
    let e = try #require(parseError("name: big\ndataset: { name: synthetic }\nsweeps:\n" + sweep))
    #expect(e.line == 4)
    #expect(e.message == "the sweeps expand to more than \(Int.max) variants, more than the limit of 100000; split the experiment into several files or shorten the value lists")
}

@Test func sweepsAreCountedTogether() throws {
    // Four sweeps of 10⁵ variants each: 400000 runs in all.
    let axes = ["learning_rate", "weight_decay", "margin", "pos_margin", "neg_margin"]
    let values = "[" + (1...10).map { "0.\($0)" }.joined(separator: ", ") + "]"
    let sweeps = String(repeating: "  - { " + axes.map { "\($0): \(values)" }.joined(separator: ", ") + " }\n", count: 4)
    let e = try #require(parseError("name: big\ndataset: { name: synthetic }\nsweeps:\n" + sweeps))
    #expect(e.message.hasPrefix("the sweeps expand to 400000 variant(s) × 1 seed(s) = 400000 runs"))
}

@Test func hiddenWidthNearIntMaxIsASpecErrorNamingTheKey() throws {
    let text = sampleSpec.replacingOccurrences(of: "hidden: [32]", with: "hidden: [9223372036854775807]")
    let e = try #require(parseError(text))
    #expect(e.key == "hidden/embedding_dim")
    #expect(e.message.hasPrefix("sizes this large overflow a 64-bit count"))
}

@Test func batchSizeNearIntMaxIsASpecError() throws {
    let text = sampleSpec.replacingOccurrences(of: "batch_size: 32, embedding_dim: 16 }", with: "batch_size: 9223372036854775804, embedding_dim: 16 }")
        .replacingOccurrences(of: "  - { loss: [contrastive, triplet, lifted], batch_size: [16, 32] }\n", with: "")
    let e = try #require(parseError(text))
    #expect(e.key == "batch_size")
}

// MARK: - Memory estimate

@Test func aRunLargerThanTheMachineFailsWithItsReasonInsteadOfCrashing() throws {
    let text = sampleSpec.replacingOccurrences(of: "embedding_dim: 16 }", with: "embedding_dim: 1000000000 }")
    let plan = try ExperimentPlan(SpecParser.parse(text, file: "huge.yaml"))
    let run = plan.runs[0]
    let record = TrainingExecutor().execute(run, spec: plan.spec, context: ComputeContext(workers: 1))
    #expect(record.status == .failed)
    let reason = try #require(record.reason)
    #expect(reason.hasPrefix("needs an estimated "))
    #expect(reason.contains("more than this machine's"))
}

@Test func memoryEstimateCountsTheMLPWeightsExactly() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let c = plan.variants[0].configuration  // mlp 16 → 32 → 16
    let e = MemoryEstimate(c, input: .init(flat: 16), samples: 300)
    #expect(e.parameterBytes == 16 * Double(16 * 32 + 32 + 32 * 16 + 16))
    #expect(e.dataBytes == 4 * 300 * 16)
    #expect(throws: MemoryEstimateError.self) { try e.check(available: e.totalBytes - 1) }
    try e.check(available: e.totalBytes)
}

// MARK: - Concurrent use of one results folder

@Test func aRunClaimIsExclusiveUntilReleased() throws {
    let store = try RunStore(directory: temporaryDirectory())
    let first = try #require(try RunClaim.claim(key: "abc-s0", in: store.runsDirectory))
    #expect(try RunClaim.claim(key: "abc-s0", in: store.runsDirectory) == nil)
    #expect(try RunClaim.claim(key: "abc-s1", in: store.runsDirectory) != nil)
    first.release()
    #expect(!FileManager.default.fileExists(atPath: store.runsDirectory + "/abc-s0.lock"))
    let again = try #require(try RunClaim.claim(key: "abc-s0", in: store.runsDirectory))
    again.release()
}

@Test func twoSweepsOfOneFolderTrainEveryRunExactlyOnce() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let store = try RunStore(directory: temporaryDirectory())
    let a = SlowExecutor(), b = SlowExecutor()
    var options = RunnerOptions()
    options.jobs = 2
    let o = options
    let group = DispatchGroup()
    let tallies = TallyBox()
    for executor in [a, b] {
        group.enter()
        Thread {
            defer { group.leave() }
            do { tallies.add(try Runner.run(plan, store: store, executor: executor, options: o, log: quiet)) } catch { tallies.fail(error) }
        }.start()
    }
    group.wait()
    #expect(tallies.errors.isEmpty)
    let calls = a.calls.all + b.calls.all
    #expect(calls.count == plan.runs.count)  // nothing trained twice
    #expect(Set(calls) == Set(plan.runs.map(\.key)))  // nothing lost
    #expect(store.records().records.count == plan.runs.count)
    #expect(tallies.all.map(\.ok).reduce(0, +) == plan.runs.count)
    let left = try FileManager.default.contentsOfDirectory(atPath: store.runsDirectory).filter { !$0.hasSuffix(".json") }
    #expect(left.isEmpty)  // no lock or temporary file left behind
}

@Test func aRunHeldElsewhereIsTakenUpWhenItsHolderLetsGo() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let store = try RunStore(directory: temporaryDirectory())
    let held = plan.runs[3].key
    // Another process (here: a claim of this test) is training run 3.
    let other = try #require(try RunClaim.claim(key: held, in: store.runsDirectory))
    let executor = FakeExecutor()
    let done = DispatchSemaphore(value: 0)
    let tallies = TallyBox()
    Thread {
        do { tallies.add(try Runner.run(plan, store: store, executor: executor, options: RunnerOptions(), log: quiet)) } catch { tallies.fail(error) }
        done.signal()
    }.start()
    // The sweep does every other run, then waits for run 3 instead of finishing without it.
    #expect(done.wait(timeout: .now() + 2) == .timedOut)
    #expect(Set(executor.calls.all) == Set(plan.runs.map(\.key)).subtracting([held]))
    other.release()  // that process died or stopped: this sweep takes the run up
    #expect(done.wait(timeout: .now() + 10) == .success)
    #expect(executor.calls.all.filter { $0 == held }.count == 1)
    #expect(tallies.all.first?.ok == plan.runs.count)
    #expect(store.records().records.count == plan.runs.count)
}

@Test func aRunFinishedElsewhereWhileWaitingIsNotTrainedAgain() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let store = try RunStore(directory: temporaryDirectory())
    let run = plan.runs[0]
    let other = try #require(try RunClaim.claim(key: run.key, in: store.runsDirectory))
    let executor = FakeExecutor()
    let done = DispatchSemaphore(value: 0)
    let tallies = TallyBox()
    Thread {
        do { tallies.add(try Runner.run(plan, store: store, executor: executor, options: RunnerOptions(), log: quiet)) } catch { tallies.fail(error) }
        done.signal()
    }.start()
    #expect(done.wait(timeout: .now() + 2) == .timedOut)
    // The other process finishes the run — as a failure, which this sweep must not repeat.
    var record = FakeExecutor().execute(run, spec: plan.spec, context: ComputeContext(workers: 1))
    record.status = .failed
    record.reason = "failed elsewhere"
    try store.write(record)
    other.release()
    #expect(done.wait(timeout: .now() + 10) == .success)
    #expect(!executor.calls.all.contains(run.key))
    #expect(tallies.all.first?.alreadyDone == 1)
    #expect(tallies.all.first?.ok == plan.runs.count - 1)
}

@Test func leftoversOfARunAnotherProcessHoldsAreNotRemoved() throws {
    let store = try RunStore(directory: temporaryDirectory())
    let held = store.runsDirectory + "/.abc-s0.json.tmp-1-1"
    let stale = store.runsDirectory + "/.abc-s1.json.tmp-2-2"
    _ = FileManager.default.createFile(atPath: held, contents: Data("{".utf8))
    _ = FileManager.default.createFile(atPath: stale, contents: Data("{".utf8))
    let claim = try #require(try RunClaim.claim(key: "abc-s0", in: store.runsDirectory))
    // A lock file left by a process killed after publishing its record.
    let staleLock = store.runsDirectory + "/abc-s2.lock"
    _ = FileManager.default.createFile(atPath: staleLock, contents: nil)
    #expect(store.removeLeftovers() == 1)
    #expect(FileManager.default.fileExists(atPath: held))
    #expect(FileManager.default.fileExists(atPath: store.runsDirectory + "/abc-s0.lock"))
    #expect(!FileManager.default.fileExists(atPath: stale))
    #expect(!FileManager.default.fileExists(atPath: staleLock))
    claim.release()
}

@Test func readersIgnoreLockAndTemporaryFiles() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let store = try RunStore(directory: temporaryDirectory())
    _ = try Runner.run(plan, store: store, executor: FakeExecutor(), options: RunnerOptions(), log: quiet)
    _ = FileManager.default.createFile(atPath: store.runsDirectory + "/\(plan.runs[0].key).lock", contents: nil)
    _ = FileManager.default.createFile(atPath: store.runsDirectory + "/.\(plan.runs[0].key).json.tmp-5-5", contents: Data("{\"half".utf8))
    let (records, problems) = store.records()
    #expect(records.count == plan.runs.count)
    #expect(problems.isEmpty)
}

// MARK: - Reports keep every record

@Test func recordsOutsideThePlanAreListedWithTheirReason() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let store = try RunStore(directory: temporaryDirectory())
    _ = try Runner.run(plan, store: store, executor: FakeExecutor(), options: RunnerOptions(), log: quiet)
    // The same folder read with a spec of one seed and one sweep fewer.
    let edited = sampleSpec.replacingOccurrences(of: "seeds: [0, 1]", with: "seeds: [0]")
        .replacingOccurrences(of: "  - { loss: [contrastive, triplet, lifted], batch_size: [16, 32] }\n", with: "")
        .replacingOccurrences(of: "  - { rows: loss, columns: batch_size, metric: map@r }\n", with: "")
    let smaller = try ExperimentPlan(SpecParser.parse(edited, file: "edited.yaml"))
    let set = ResultSet(plan: smaller, records: store.records().records)
    #expect(set.records.count + set.unmatched.count == plan.runs.count)
    let seedOne = try #require(set.unmatched.first { $0.record.seed == 1 && smaller.variants.map(\.id).contains($0.record.variantID) })
    #expect(seedOne.reason == "seed 1 is not among the spec's seeds [0]")
    let gone = try #require(set.unmatched.first { !smaller.variants.map(\.id).contains($0.record.variantID) })
    #expect(gone.reason.hasPrefix("variant \(gone.record.variantID) is not in the plan of edited.yaml"))
    let csv = CSVReport.results(set)
    #expect(csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 1 + plan.runs.count)
    #expect(csv.contains("not in the plan: seed 1 is not among the spec's seeds [0]"))
}

// MARK: - Strict baseline CSV

private let summaryHeader = "variant_id,loss,runs,ok,diverged,failed,recall@1_mean,recall@1_std,map@r_mean"

private func csvError(_ text: String, tolerance: Double = 0.02) -> SpecError? {
    do {
        _ = try RegressionCheck.compare(current: text, baseline: text, tolerance: tolerance, baselinePath: "base.csv")
        return nil
    } catch let e as SpecError { return e } catch { return nil }
}

@Test func aBaselineRowWithAnExtraFieldIsAnErrorNamingTheLine() throws {
    let e = try #require(csvError(summaryHeader + "\naaa,triplet,2,2,0,0,0.5,0.1,0.4\nbbb,triplet,2,2,0,0,0.5,0.1,0.4,extra\n"))
    #expect(e.description == "base.csv:3: 10 field(s) where the header has 9; the file is damaged, rebuild it with 'metricbench report DIR'")
}

@Test func aShortBaselineRowIsAnError() throws {
    let e = try #require(csvError(summaryHeader + "\naaa,triplet,2,2,0,0,0.5\n"))
    #expect(e.line == 2)
}

@Test func aNaNOrTextMeanIsAnErrorNamingTheColumn() throws {
    let e = try #require(csvError(summaryHeader + "\naaa,triplet,2,2,0,0,nan,0.1,0.4\n"))
    #expect(e.description == "base.csv:2: 'recall@1_mean': 'nan' is not a finite number")
    let t = try #require(csvError(summaryHeader + "\naaa,triplet,2,2,0,0,0.5,0.1,high\n"))
    #expect(t.key == "map@r_mean")
}

@Test func aDuplicatedColumnIsAnError() throws {
    let e = try #require(csvError("variant_id,runs,ok,diverged,failed,recall@1_mean,recall@1_mean\naaa,1,1,0,0,0.5,0.6\n"))
    #expect(e.description == "base.csv:1: 'recall@1_mean': the column appears twice in the header")
}

@Test func aDuplicatedVariantIsAnError() throws {
    let e = try #require(csvError(summaryHeader + "\naaa,triplet,2,2,0,0,0.5,0.1,0.4\naaa,triplet,2,2,0,0,0.6,0.1,0.4\n"))
    #expect(e.message == "'aaa' appears twice (first on line 2)")
}

@Test func aNaNOrNegativeToleranceIsAnError() throws {
    let ok = summaryHeader + "\naaa,triplet,2,2,0,0,0.5,0.1,0.4\n"
    #expect(csvError(ok, tolerance: .nan)?.file == "--tolerance")
    #expect(csvError(ok, tolerance: -0.1)?.file == "--tolerance")
    #expect(csvError(ok) == nil)
}

@Test func aBaselineVariantMissingFromTheResultsIsARegression() throws {
    let base = summaryHeader + "\naaa,triplet,2,2,0,0,0.5,0.1,0.4\nbbb,triplet,2,2,0,0,0.7,0.1,\n"
    let current = summaryHeader + "\naaa,triplet,2,2,0,0,0.5,0.1,0.4\n"
    let outcome = try RegressionCheck.compare(current: current, baseline: base, tolerance: 0.02, baselinePath: "base.csv")
    #expect(outcome.compared == 3)  // bbb's empty map@r mean holds the results to nothing
    #expect(outcome.regressions == [.init(variantID: "bbb", metric: "recall@1", baseline: 0.7, current: nil)])
}

@Test func aMeanInTheLastColumnReadsWithoutItsStd() throws {
    // Read by position, the std and ci95 after the last mean were past the end of the row (a trap).
    let t = try SummaryTable(csv: "variant_id,runs,ok,diverged,failed,recall@1_n,recall@1_mean\naaa,1,1,0,0,1,0.5\n", path: "s.csv")
    #expect(t.rows[0].metrics["recall@1"] == SummaryTable.Stats(mean: 0.5, std: nil, ci95: nil, n: 1))
}

@Test func quotedCellsAndBlankLinesReadAsRFC4180() throws {
    let text = "variant_id,note,runs,ok,diverged,failed,recall@1_mean\n\"aaa\",\"a, \"\"quoted\"\"\nnote\",1,1,0,0,0.5\n\nbbb,x,1,1,0,0,0.25\n"
    let table = try SummaryTable(csv: text, path: "s.csv")
    #expect(table.rows.map(\.variantID) == ["aaa", "bbb"])
    #expect(table.rows[0].axes.map(\.value) == ["a, \"quoted\"\nnote"])
    #expect(table.row("bbb")?.metrics["recall@1"]?.mean == 0.25)
    #expect(table.row("bbb")?.line == 5)
}

// MARK: - Helpers

/// A fake executor slow enough that two sweeps overlap.
struct SlowExecutor: RunExecutor {
    let inner = FakeExecutor()
    var calls: CallLog { inner.calls }
    func execute(_ run: PlannedRun, spec: ExperimentSpec, context: ComputeContext) -> RunRecord {
        usleep(20_000)
        return inner.execute(run, spec: spec, context: context)
    }
}

final class TallyBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var all: [RunTally] = []
    private(set) var errors: [String] = []
    func add(_ t: RunTally) { lock.lock(); all.append(t); lock.unlock() }
    func fail(_ e: any Error) { lock.lock(); errors.append("\(e)"); lock.unlock() }
}
