import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import ExperimentHarness

// MARK: - Ticks and coordinates

@Test func niceTicksCoverTheRangeInOneTwoFiveSteps() {
    let ticks = NiceTicks.linear(0, 0.87)
    #expect(ticks.count == 5)
    for (t, want) in zip(ticks, [0, 0.2, 0.4, 0.6, 0.8]) { #expect(abs(t - want) < 1e-12) }
    #expect(NiceTicks.step(span: 0.87) == 0.2)
    #expect(NiceTicks.step(span: 1) == 0.2)
    #expect(NiceTicks.step(span: 37) == 10)
    #expect(NiceTicks.step(span: 0.012) == 0.002)
    #expect(NiceTicks.linear(3, 97) == [20, 40, 60, 80])
    // Tick values are exact decimals, not 0.6000000000000001.
    #expect(NiceTicks.linear(0.55, 0.95).map { NiceTicks.label($0, step: 0.1) } == ["0.6", "0.7", "0.8", "0.9"])
    #expect(NiceTicks.linear(0.55, 0.95).contains(0.6))
}

@Test func integralAxesGetWholeNumberTicks() {
    #expect(NiceTicks.linear(0.75, 2.25, minimumStep: 1) == [1, 2])
    #expect(NiceTicks.label(2, step: 1) == "2")
    #expect(NiceTicks.label(0.25, step: 0.05) == "0.25")
}

@Test func logTicksAreDecadesWithSuperscriptLabels() {
    let ticks = NiceTicks.log10(1e-4, 1)
    #expect(ticks.count == 5)
    for (t, want) in zip(ticks, [1e-4, 1e-3, 1e-2, 1e-1, 1]) { #expect(abs(t / want - 1) < 1e-12) }
    #expect(NiceTicks.decadeLabel(1e-4) == "10⁻⁴")
    #expect(NiceTicks.decadeLabel(1) == "1")
    #expect(NiceTicks.log2(30, 600) == [32, 64, 128, 256, 512])
    // Less than two decades: 2× and 5× ticks too, so the axis is never bare.
    let short = NiceTicks.log10(0.03, 0.9)
    #expect(short.count == 4)
    for (t, want) in zip(short, [0.05, 0.1, 0.2, 0.5]) { #expect(abs(t / want - 1) < 1e-12) }
}

@Test func axisMappingPlacesValuesLinearlyOrByTheirLogarithm() {
    let x = AxisMapping(scale: .linear, lo: 0, hi: 10, from: 100, to: 600)
    #expect(x.pixel(0) == 100)
    #expect(x.pixel(5) == 350)
    #expect(x.pixel(10) == 600)
    // y grows downwards in SVG: the data minimum sits at the bottom.
    let y = AxisMapping(scale: .linear, lo: 0, hi: 1, from: 400, to: 50)
    #expect(y.pixel(0) == 400)
    #expect(abs(y.pixel(0.5) - 225) < 1e-9)
    let far = AxisMapping(scale: .log10, lo: 1e-5, hi: 1, from: 0, to: 500)
    #expect(abs(far.pixel(1e-3) - 200) < 1e-9)
    #expect(!far.contains(0))
    let dims = AxisMapping(scale: .log2, lo: 32, hi: 512, from: 0, to: 400)
    #expect(abs(dims.pixel(128) - 200) < 1e-9)
}

// MARK: - SVG documents

/// The elements of an SVG document, by name, checked to parse as XML.
final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var classes: [String: Int] = [:]
    var texts: [String] = []
    var rootAttributes: [String: String] = [:]
    private var inText = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if counts.isEmpty { rootAttributes = attributes }
        counts[name, default: 0] += 1
        if let c = attributes["class"] { classes[c, default: 0] += 1 }
        if name == "text" { inText = true; texts.append("") }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { texts[texts.count - 1] += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { inText = false }
    }

    static func parse(_ svg: String) -> ElementCounter? {
        let counter = ElementCounter()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = counter
        return parser.parse() ? counter : nil
    }
}

func samplePlot(series: [PlotSeries]) -> LinePlot {
    LinePlot(title: "Recall@1 <by> dim & \"loss\"", subtitle: ["a subtitle"],
             x: PlotAxis(title: "embedding dimension", scale: .log2, ticks: [32, 64, 128]),
             y: PlotAxis(title: "Recall@1"), series: series, legendTitle: "loss")
}

@Test func aPlotIsStandaloneSVGWithOneLineAndLegendEntryPerSeries() throws {
    let plot = samplePlot(series: [
        PlotSeries(name: "contrastive", points: [PlotPoint(x: 32, y: 0.5, error: 0.02), PlotPoint(x: 64, y: 0.6, error: 0.01), PlotPoint(x: 128, y: 0.62)]),
        PlotSeries(name: "triplet", points: [PlotPoint(x: 32, y: 0.55), PlotPoint(x: 64, y: 0.66), PlotPoint(x: 128, y: 0.7)]),
        PlotSeries(name: "lifted", points: [PlotPoint(x: 32, y: 0.52), PlotPoint(x: 64, y: 0.58), PlotPoint(x: 128, y: 0.61)]),
    ])
    let svg = plot.render()
    let doc = try #require(ElementCounter.parse(svg))
    #expect(doc.rootAttributes["xmlns"] == "http://www.w3.org/2000/svg")
    #expect(doc.rootAttributes["width"] == "720")
    #expect(doc.rootAttributes["viewBox"] == "0 0 720 440")
    #expect(doc.counts["polyline"] == 3)
    #expect(doc.classes["series"] == 3)
    #expect(doc.classes["legend-entry"] == 3)
    // Text is escaped in the file and reads back as written.
    #expect(svg.contains("&lt;by&gt; dim &amp; &quot;loss&quot;"))
    #expect(doc.texts.contains("Recall@1 <by> dim & \"loss\""))
    #expect(doc.texts.contains("32") && doc.texts.contains("128"))
    #expect(doc.texts.contains("embedding dimension") && doc.texts.contains("loss"))
}

@Test func aGapInASeriesBreaksTheLineInsteadOfDrawingZero() throws {
    let points = [PlotPoint(x: 32, y: 0.5), PlotPoint(x: 64, y: .nan), PlotPoint(x: 128, y: 0.7), PlotPoint(x: 256, y: 0.72)]
    let plot = samplePlot(series: [PlotSeries(name: "triplet", points: points)])
    let svg = plot.render()
    let doc = try #require(ElementCounter.parse(svg))
    // 32 stands alone; 128–256 is one line; nothing at 64.
    #expect(doc.counts["polyline"] == 1)
    let (xr, yr) = plot.ranges()
    #expect(yr.0 > 0.4, "the y range fits the finite points only")
    #expect(xr.0 < 32 && xr.1 > 256)
}

@Test func divergedVariantsAreLeftOutAndNamedInTheSubtitle() throws {
    let spec = try SpecParser.parse("""
    name: dims
    dataset: { name: synthetic, classes: 30, train_classes: 20, samples_per_class: 10, input_dim: 16 }
    model: { kind: mlp, hidden: [32], normalize: true }
    train: { epochs: 1, samples_per_class: 4 }
    seeds: [0, 1]
    base: { loss: triplet, mining: all, batch_size: 16, embedding_dim: 16 }
    sweeps:
      - { loss: [contrastive, triplet], embedding_dim: [8, 16, 32] }
    metrics: [recall@1, recall@2, map@r]
    """, file: "dims.yaml")
    let plan = try ExperimentPlan(spec)
    let fake = FakeExecutor()
    let divergedDim = 32
    let records = plan.runs.map { run -> RunRecord in
        var r = fake.execute(run, spec: spec, context: .serial)
        if run.variant.configuration.loss.loss == .contrastive && run.variant.configuration.embeddingDim == divergedDim {
            r.status = .diverged
            r.metrics = [:]
            r.reason = "loss is nan"
        }
        return r
    }
    let set = ResultSet(plan: plan, records: records)
    let plots = PlotReport.plots(set)
    let names = plots.map(\.name)
    #expect(names.contains("recall@1-vs-embedding_dim.svg"))
    #expect(names.contains("map@r-vs-embedding_dim.svg"))
    #expect(names.contains("recall-at-k.svg"))
    #expect(names.contains("training-loss.svg"))
    #expect(!names.contains { $0.contains("batch_size") }, "batch_size is not swept")
    let recall = try #require(plots.first { $0.name == "recall@1-vs-embedding_dim.svg" })
    let contrastive = try #require(recall.plot.series.first { $0.name == "contrastive" })
    #expect(contrastive.points.count == 3)
    #expect(contrastive.points.last.map { $0.y.isNaN } == true, "the diverged point is a gap, not a zero")
    #expect(contrastive.points.allSatisfy { $0.y != 0 })
    #expect(recall.plot.subtitle.joined().contains("contrastive at embedding_dim = 32: 2 of 2 runs diverged"))
    let doc = try #require(ElementCounter.parse(recall.svg))
    #expect(doc.counts["polyline"] == 2)
    #expect(doc.classes["legend-entry"] == 2)
}

@Test func everyPlotOfARunParsesAndTheWriterPutsThemInPlots() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    let fake = FakeExecutor()
    let records = plan.runs.map { run -> RunRecord in
        var r = fake.execute(run, spec: plan.spec, context: .serial)
        r.roc = [CurvePoint(x: 0, y: 0.2), CurvePoint(x: 1e-4, y: 0.4), CurvePoint(x: 1e-2, y: 0.8), CurvePoint(x: 1, y: 1)]
        r.map2D = (0..<20).map { CurvePoint(x: Double($0 % 7), y: Double($0 % 5), label: Int32($0 % 3)) }
        return r
    }
    let set = ResultSet(plan: plan, records: records)
    let plots = PlotReport.plots(set)
    let names = Set(plots.map(\.name))
    #expect(names.isSuperset(of: ["roc.svg", "recall-at-k.svg", "map-triplet.svg", "recall@1-vs-batch_size.svg"]))
    for p in plots { #expect(ElementCounter.parse(p.svg) != nil, "\(p.name) is not well-formed XML") }
    let roc = try #require(plots.first { $0.name == "roc.svg" })
    #expect(roc.plot.x.scale == .log10)
    #expect(roc.plot.x.range == 1e-4...1)
    let mapPlot = try #require(plots.first { $0.name == "map-triplet.svg" })
    let map = try #require(ElementCounter.parse(mapPlot.svg))
    #expect(map.counts["circle"]! >= 20)
    #expect(map.classes["legend-entry"] == 3)

    let dir = temporaryDirectory()
    try FileManager.default.createDirectory(atPath: dir + "/plots", withIntermediateDirectories: true)
    try Data("stale".utf8).write(to: URL(fileURLWithPath: dir + "/plots/old.svg"))
    let written = try ReportWriter.write(set, to: dir)
    #expect(written.contains("plots/roc.svg"))
    let onDisk = Set(try FileManager.default.contentsOfDirectory(atPath: dir + "/plots"))
    #expect(onDisk == Set(plots.map(\.name)), "stale plots are removed")
}
