import Foundation
import Testing
@testable import ExperimentHarness

/// A summary.csv of two variants and two metrics, as `CSVReport.summary` writes it.
/// recall@1 of the triplet variant: mean 0.8, CI half-width 0.02.
private func summaryCSV(tripletRecall: String = "0.8", tripletOK: String = "3", extraVariant: Bool = false) -> String {
    var lines = [
        "variant_id,loss,mining,runs,ok,diverged,failed,recall@1_mean,recall@1_std,recall@1_ci95,recall@1_n,nmi_mean,nmi_std,nmi_ci95,nmi_n",
        "aaaaaaaaaaaa,contrastive,all,3,3,0,0,0.7,0.01,0.0248414,3,0.5,0.02,0.0496828,3",
        "bbbbbbbbbbbb,triplet,all,3,\(tripletOK),0,0,\(tripletRecall),0.00805,0.02,3,0.55,0.01,0.0248414,3",
    ]
    if extraVariant { lines.append("cccccccccccc,lifted,all,3,3,0,0,0.6,0.01,0.0248414,3,0.4,0.01,0.0248414,3") }
    return lines.joined(separator: "\r\n") + "\r\n"
}

private func table(_ csv: String) throws -> SummaryTable { try SummaryTable(csv: csv, path: "summary.csv") }

@Test func summaryTableReadsEveryMetricOfEveryVariant() throws {
    let t = try table(summaryCSV())
    #expect(t.metrics == ["recall@1", "nmi"])
    #expect(t.rows.map(\.variantID) == ["aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    #expect(t.rows[1].metrics["recall@1"] == SummaryTable.Stats(mean: 0.8, std: 0.00805, ci95: 0.02, n: 3))
    #expect(t.rows[1].counts == [3, 3, 0, 0])
    #expect(t.rows[0].axes.map(\.value) == ["contrastive", "all"])
    #expect(throws: SpecError.self) { try SummaryTable(csv: "run,seed\r\n1,2\r\n", path: "results.csv") }
}

@Test func identicalFoldersAreBitIdentical() throws {
    let runs = ["aaaaaaaaaaaa-s0": ResultComparison.RunValues(status: "ok", metrics: ["recall@1": 0.7012345678901234])]
    let c = ResultComparison.compare(try table(summaryCSV()), try table(summaryCSV()), runsA: runs, runsB: runs)
    #expect(c.verdict == .bitIdentical)
    #expect(c.rows.count == 4)
    #expect(c.rows.allSatisfy { $0.change == .identical && $0.delta == 0 })
    #expect(c.runsDiffering == [])
    #expect(c.verdictLine().hasPrefix("verdict: bit-identical — 2 variants × 2 metrics"))
    #expect(c.verdictLine().contains("all 1 runs' metrics equal to the last bit"))
}

@Test func aMeanMovedWithinSeedNoiseIsIdenticalWithinNoiseAndNamed() throws {
    // 0.8 → 0.815, std 0.00805 over 3 seeds on both sides: Welch p = 0.0845873 (scipy's
    // ttest_ind_from_stats), above the Benjamini–Hochberg threshold 0.05 / 4 of the smallest of 4 means.
    let c = ResultComparison.compare(try table(summaryCSV()), try table(summaryCSV(tripletRecall: "0.815")))
    #expect(c.verdict == .withinNoise)
    let moved = try #require(c.moved.first)
    #expect(c.moved.count == 1)
    #expect(moved.variantID == "bbbbbbbbbbbb" && moved.metric == "recall@1")
    #expect(abs(moved.delta! - 0.015) < 1e-12)
    #expect(moved.noise == 0.02)
    #expect(abs(moved.p! - 0.08458731146223458) < 1e-7)
    #expect(moved.change == .withinNoise)
    let line = c.verdictLine()
    #expect(line.hasPrefix("verdict: identical within seed noise — 1 of 4 means moved, none beyond seed noise"))
    #expect(line.contains("recall@1 in 1 variant(s), largest |Δ| 0.015 against CI 0.02"))
    #expect(line.contains("smallest Welch p 0.08459"))
    #expect(c.runsDiffering == nil, "no run records given: nothing compared run by run")
}

@Test func aMeanMovedBeyondSeedNoiseIsDifferentAndListed() throws {
    // 0.8 → 0.85: Welch p = 0.00160260 (scipy), under 0.05 / 4.
    let c = ResultComparison.compare(try table(summaryCSV()), try table(summaryCSV(tripletRecall: "0.85")))
    #expect(c.verdict == .different)
    #expect(c.beyondNoise.map(\.metric) == ["recall@1"])
    #expect(abs(c.beyondNoise[0].p! - 0.0016026011319782815) < 1e-8)
    #expect(c.verdictLine() == "verdict: DIFFERENT — 1 mean(s) beyond seed noise: recall@1 of triplet 0.8 → 0.85 (Δ +0.05, CI 0.02, p 0.001603)")
    // The same move, reversed, is as far beyond noise.
    let back = ResultComparison.compare(try table(summaryCSV(tripletRecall: "0.85")), try table(summaryCSV()))
    #expect(back.verdict == .different)
    #expect(abs(back.beyondNoise[0].delta! + 0.05) < 1e-12)
}

/// `count` variants of one metric, mean 0.5 (std 0.01, 3 seeds) each, the first `moved` of them at 0.525.
private func shiftedCSV(count: Int, moved: Int) -> String {
    var lines = ["variant_id,loss,runs,ok,diverged,failed,recall@1_mean,recall@1_std,recall@1_ci95,recall@1_n"]
    for i in 0..<count {
        lines.append("v\(i),triplet,3,3,0,0,\(i < moved ? "0.525" : "0.5"),0.01,0.0248414,3")
    }
    return lines.joined(separator: "\r\n") + "\r\n"
}

@Test func oneSmallMoveIsNoiseButTheSameMoveInEveryVariantIsDifferent() throws {
    // Each moved mean: 0.5 → 0.525, Welch p = 0.0375901 (scipy). Alone among 12 means it is above
    // 0.05 / 12; moved in all 12, the Benjamini–Hochberg threshold of the 12th smallest is 0.05.
    let base = try table(shiftedCSV(count: 12, moved: 0))
    let one = ResultComparison.compare(base, try table(shiftedCSV(count: 12, moved: 1)))
    #expect(one.verdict == .withinNoise)
    #expect(abs(one.moved[0].p! - 0.03759011151114638) < 1e-7)
    let all = ResultComparison.compare(base, try table(shiftedCSV(count: 12, moved: 12)))
    #expect(all.verdict == .different)
    #expect(all.beyondNoise.count == 12)
}

@Test func benjaminiHochbergRejectsUpToTheLargestPValueUnderItsThreshold() {
    // Sorted thresholds k · 0.05 / 4: 0.0125, 0.025, 0.0375, 0.05.
    #expect(ResultComparison.benjaminiHochberg([0.01, 0.04, 0.03, 0.5], q: 0.05) == [0])
    #expect(ResultComparison.benjaminiHochberg([0.04, 0.01, 0.03, 0.02], q: 0.05) == [0, 1, 2, 3])
    // 0.03 is over its own threshold (0.025) but under the 3rd's (0.0375), which 0.035 meets: both rejected.
    #expect(ResultComparison.benjaminiHochberg([0.03, 0.2, 0.035, 0.001], q: 0.05) == [0, 2, 3])
    #expect(ResultComparison.benjaminiHochberg([0.2, 0.6], q: 0.05).isEmpty)
}

@Test func aVariantInOneFolderOnlyOrOtherRunCountsAreDifferent() throws {
    let extra = ResultComparison.compare(try table(summaryCSV()), try table(summaryCSV(extraVariant: true)))
    #expect(extra.verdict == .different)
    #expect(extra.missing.map(\.variantID) == ["cccccccccccc", "cccccccccccc"])
    #expect(extra.verdictLine().contains("0 variant(s) only in A, 1 only in B"))
    let diverged = ResultComparison.compare(try table(summaryCSV()), try table(summaryCSV(tripletOK: "2")))
    #expect(diverged.verdict == .different)
    #expect(diverged.countChanges.map(\.variantID) == ["bbbbbbbbbbbb"])
}

@Test func runValuesThatDifferBelowTheSummaryDigitsAreWithinNoise() throws {
    let a = ["aaaaaaaaaaaa-s0": ResultComparison.RunValues(status: "ok", metrics: ["recall@1": 0.7, "nmi": 0.5])]
    let b = ["aaaaaaaaaaaa-s0": ResultComparison.RunValues(status: "ok", metrics: ["recall@1": 0.7 + 1e-12, "nmi": 0.5])]
    let c = ResultComparison.compare(try table(summaryCSV()), try table(summaryCSV()), runsA: a, runsB: b)
    #expect(c.verdict == .withinNoise)
    #expect(c.runsDiffering == ["aaaaaaaaaaaa-s0"])
    // Restricted to nmi, the same runs agree.
    let nmi = ResultComparison.compare(try table(summaryCSV()), try table(summaryCSV()), metrics: ["nmi"], runsA: a, runsB: b)
    #expect(nmi.verdict == .bitIdentical)
    #expect(nmi.rows.map(\.metric) == ["nmi", "nmi"])
}

@Test func comparisonJSONCarriesTheVerdictAndEveryRow() throws {
    let c = ResultComparison.compare(try table(summaryCSV()), try table(summaryCSV(tripletRecall: "0.85")))
    let data = Data(try c.json(a: "A", b: "B").utf8)
    let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(doc["verdict"] as? String == "different")
    let rows = try #require(doc["rows"] as? [[String: Any]])
    #expect(rows.count == 4)
    let moved = try #require(rows.first { $0["change"] as? String == "beyond-noise" })
    #expect(moved["a_mean"] as? Double == 0.8)
    #expect(moved["b_mean"] as? Double == 0.85)
    #expect(moved["noise"] as? Double == 0.02)
    #expect(abs((moved["p"] as? Double ?? 1) - 0.0016026011319782815) < 1e-8)
}

@Test func foldersWrittenByTheRunnerCompareBitIdenticalAndAMissingFolderIsAnError() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    var folders: [String] = []
    for _ in 0..<2 {
        let dir = temporaryDirectory()
        _ = try Runner.run(plan, store: RunStore(directory: dir), executor: FakeExecutor(), options: RunnerOptions(), log: { _ in })
        let (records, _) = try RunStore(directory: dir).records()
        try ReportWriter.write(ResultSet(plan: plan, records: records), to: dir)
        folders.append(dir)
    }
    let a = try ResultComparison.Folder.load(folders[0])
    let b = try ResultComparison.Folder.load(folders[1])
    let same = ResultComparison.compare(a, b)
    #expect(same.verdict == .bitIdentical)
    #expect(same.runsCompared == plan.runs.count)

    // Every seed of one variant gains 2 recall@1: the spread stays, the mean moves far beyond it.
    let store = try RunStore(directory: folders[1])
    let variant = try #require(store.records().records.first { $0.status == .ok }).variantID
    let shifted = store.records().records.filter { $0.variantID == variant }
    for var record in shifted {
        record.metrics["recall@1"]! += 2
        try store.write(record)
    }
    try ReportWriter.write(ResultSet(plan: plan, records: store.records().records), to: folders[1])
    let changed = ResultComparison.compare(a, try ResultComparison.Folder.load(folders[1]))
    #expect(changed.verdict == .different)
    #expect(changed.beyondNoise.map(\.variantID) == [variant])
    #expect(changed.beyondNoise.map(\.metric) == ["recall@1"])
    #expect(abs(changed.beyondNoise[0].delta! - 2) < 1e-5)
    #expect(changed.runsDiffering == shifted.map(\.key).sorted())

    #expect(throws: SpecError.self) { try ResultComparison.Folder.load(folders[0] + "/nowhere") }
}
