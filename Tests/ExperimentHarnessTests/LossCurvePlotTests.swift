import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import ExperimentHarness

/// Records of the sample plan whose loss curve is 10 points of 5 steps, the seed shifting it by 0.1 per seed.
private func recordsWithCurves(_ plan: ExperimentPlan, curves: Bool) -> [RunRecord] {
    let fake = FakeExecutor()
    return plan.runs.map { run -> RunRecord in
        var r = fake.execute(run, spec: plan.spec, context: .serial)
        if curves {
            r.curve = (1...10).map { i in
                StepRecord(step: 5 * i, steps: 5, loss: 1 / Double(i) + 0.1 * Double(run.seed), activeFraction: 0.5)
            }
        }
        return r
    }
}

@Test func theTrainingLossIsPlottedPerStepWithTheSeedsRangeAsABand() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let set = ResultSet(plan: plan, records: recordsWithCurves(plan, curves: true))
    let plot = try #require(PlotReport.plots(set).first { $0.name == "training-loss.svg" })
    #expect(plot.plot.title.hasPrefix("Training loss per step"))
    #expect(plot.plot.x.title == "training step")
    #expect(plot.plot.subtitle[0].contains("each point averages 5 steps"))
    let series = try #require(plot.plot.series.first)
    #expect(series.points.map(\.x) == (1...10).map { Double(5 * $0) })
    // Seeds 0 and 1: mean 1/i + 0.05, band 1/i … 1/i + 0.1.
    let p = series.points[1]
    #expect(abs(p.y - 0.55) < 1e-12)
    let band = try #require(p.band)
    #expect(abs(band.lowerBound - 0.5) < 1e-12 && abs(band.upperBound - 0.6) < 1e-12)
    let doc = try #require(ElementCounter.parse(plot.svg))
    #expect(doc.counts["polyline"] == plot.plot.series.count)
    let bands = plot.svg.components(separatedBy: "<polygon").dropFirst().filter { $0.hasPrefix(" points") && $0.contains("stroke=\"none\"") }
    #expect(bands.count == plot.plot.series.count, "one band per loss")
}

@Test func recordsWithoutACurveFallBackToThePerEpochPlot() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    var records = recordsWithCurves(plan, curves: true)
    // One run of the base variant (each loss's base-like variant is plotted) kept no curve.
    let base = try #require(plan.base)
    records[try #require(records.firstIndex { $0.variantID == base.id })].curve = nil
    let plot = try #require(PlotReport.plots(ResultSet(plan: plan, records: records)).first { $0.name == "training-loss.svg" })
    #expect(plot.plot.title.hasPrefix("Training loss per epoch"))
    #expect(plot.plot.x.title == "epoch")
    #expect(plot.plot.series.allSatisfy { $0.points.allSatisfy { $0.band == nil } })
}

@Test func aRecordWrittenBeforeCurvesExistedStillDecodes() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    var record = recordsWithCurves(plan, curves: true)[0]
    let withCurve = try JSONEncoder().encode(record)
    #expect(try JSONDecoder().decode(RunRecord.self, from: withCurve).curve?.count == 10)
    var object = try #require(try JSONSerialization.jsonObject(with: withCurve) as? [String: Any])
    #expect(object["curve"] != nil)
    object["curve"] = nil
    let old = try JSONDecoder().decode(RunRecord.self, from: JSONSerialization.data(withJSONObject: object))
    #expect(old.curve == nil)
    #expect(old.epochs == record.epochs)
    record.curve = nil
    let encoded = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(record)) as? [String: Any])
    #expect(encoded["curve"] == nil, "no curve, no key: the record reads as before")
}
