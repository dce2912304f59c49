import Foundation

/// One point of a series; `error` is the half-length of its error bar (± std),
/// `band` the range of a shaded band around the line (e.g. min–max over seeds).
public struct PlotPoint: Hashable, Sendable {
    public var x: Double
    public var y: Double
    public var error: Double?
    public var band: ClosedRange<Double>?

    public init(x: Double, y: Double, error: Double? = nil, band: ClosedRange<Double>? = nil) {
        self.x = x
        self.y = y
        self.error = error
        self.band = band
    }
}

/// A named series. A non-finite `y` is a gap: the line breaks there and nothing is drawn for it.
public struct PlotSeries: Sendable {
    public var name: String
    public var points: [PlotPoint]

    public init(name: String, points: [PlotPoint]) {
        self.name = name
        self.points = points
    }
}

/// One axis of a plot: title, scale, and optionally a fixed range or fixed tick positions.
public struct PlotAxis: Sendable {
    public var title: String
    public var scale: PlotScale
    /// Fixed data range; nil fits the data.
    public var range: ClosedRange<Double>?
    /// Fixed tick positions (e.g. the swept values on a log₂ axis); nil chooses nice ticks.
    public var ticks: [Double]?
    /// Ticks at whole numbers only (epochs, K).
    public var integral: Bool

    public init(title: String, scale: PlotScale = .linear, range: ClosedRange<Double>? = nil, ticks: [Double]? = nil, integral: Bool = false) {
        self.title = title
        self.scale = scale
        self.range = range
        self.ticks = ticks
        self.integral = integral
    }
}

/// A line or scatter plot with axes, ticks, titles and a legend, rendered to standalone SVG.
public struct LinePlot: Sendable {
    public enum Style: Sendable {
        /// Lines through markers, with error bars where points have them.
        case lines
        /// Unconnected small dots (a 2-D embedding map).
        case scatter
    }

    /// A dashed vertical line at `x` with a short label (e.g. the FAR a metric is read at).
    public struct ReferenceLine: Sendable {
        public var x: Double
        public var label: String
        public init(x: Double, label: String) {
            self.x = x
            self.label = label
        }
    }

    public var title: String
    /// Lines under the title: what was fixed, what was left out and why.
    public var subtitle: [String]
    public var x: PlotAxis
    public var y: PlotAxis
    public var series: [PlotSeries]
    public var style: Style
    public var legendTitle: String?
    public var references: [ReferenceLine]
    public var width: Double
    public var height: Double

    public init(title: String, subtitle: [String] = [], x: PlotAxis, y: PlotAxis, series: [PlotSeries],
                style: Style = .lines, legendTitle: String? = nil, references: [ReferenceLine] = [],
                width: Double = 720, height: Double = 440) {
        self.title = title
        self.subtitle = subtitle
        self.x = x
        self.y = y
        self.series = series
        self.style = style
        self.legendTitle = legendTitle
        self.references = references
        self.width = width
        self.height = height
    }

    static let titleSize = 16.0, subtitleSize = 11.5, labelSize = 12.0, tickSize = 11.0, legendSize = 12.0
    static let maxSubtitleLines = 4
    /// Series with more points (ROC curves) are drawn as plain lines: markers would merge into a band.
    static let maxMarkedPoints = 40

    /// The data ranges of both axes, after fixed ranges and padding.
    func ranges() -> (x: (Double, Double), y: (Double, Double)) {
        let drawn = series.flatMap { s in s.points.filter { x.scale.accepts($0.x) && y.scale.accepts($0.y) } }
        let xs = drawn.map(\.x)
        let ys = drawn.flatMap { p -> [Double] in
            var values = [p.y]
            if let e = p.error, e.isFinite, e > 0 { values += [p.y - e, p.y + e].filter(y.scale.accepts) }
            if let b = p.band { values += [b.lowerBound, b.upperBound].filter { $0.isFinite && y.scale.accepts($0) } }
            return values
        }
        return (Self.fit(xs, axis: x), Self.fit(ys, axis: y))
    }

    /// A range covering `values` with a 6% margin (in the scale's own space), or the axis' fixed range.
    static func fit(_ values: [Double], axis: PlotAxis) -> (Double, Double) {
        if let r = axis.range { return (r.lowerBound, r.upperBound) }
        guard var lo = values.min(), var hi = values.max() else {
            return axis.scale == .linear ? (0, 1) : (1, 10)
        }
        switch axis.scale {
        case .linear:
            if hi - lo < 1e-12 {
                let pad = axis.integral ? 1 : max(abs(lo) * 0.1, 0.05)
                return (lo - pad, hi + pad)
            }
            let pad = max((hi - lo) * 0.06, axis.integral ? 0.25 : 0)
            lo -= pad
            hi += pad
            return (lo, hi)
        case .log10, .log2:
            let base: Double = axis.scale == .log10 ? 10 : 2
            if hi / lo < 1 + 1e-9 { return (lo / base, hi * base) }
            let pad = pow(hi / lo, 0.06)
            return (lo / pad, hi * pad)
        }
    }

    /// Tick positions and labels for an axis over `lo … hi`.
    static func ticks(_ axis: PlotAxis, _ lo: Double, _ hi: Double, target: Int) -> [(Double, String)] {
        let mapping = AxisMapping(scale: axis.scale, lo: lo, hi: hi, from: 0, to: 1)
        if let fixed = axis.ticks {
            let inside = fixed.filter(mapping.contains)
            return inside.map { ($0, MetricID.plainDecimal($0)) }
        }
        switch axis.scale {
        case .linear:
            let step = max(NiceTicks.step(span: hi - lo, target: target), axis.integral ? 1 : 0)
            return NiceTicks.linear(lo, hi, target: target, minimumStep: axis.integral ? 1 : 0).map { ($0, NiceTicks.label($0, step: step)) }
        case .log10:
            return NiceTicks.log10(lo, hi).map { ($0, NiceTicks.isDecade($0) ? NiceTicks.decadeLabel($0) : MetricID.plainDecimal($0)) }
        case .log2:
            return NiceTicks.log2(lo, hi).map { ($0, MetricID.plainDecimal($0)) }
        }
    }

    /// Breaks `text` into lines of at most `limit` characters at spaces.
    static func wrap(_ text: String, limit: Int) -> [String] {
        var lines: [String] = [], current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !current.isEmpty && current.count + 1 + word.count > limit {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// The standalone SVG document.
    public func render() -> String {
        var c = SVGCanvas(width: width, height: height)
        let (xr, yr) = ranges()

        // Title block.
        let subLimit = Int((width - 32) / SVGCanvas.textWidth("x", size: Self.subtitleSize))
        var sub = subtitle.flatMap { Self.wrap($0, limit: subLimit) }
        if sub.count > Self.maxSubtitleLines {
            sub = Array(sub.prefix(Self.maxSubtitleLines))
            sub[sub.count - 1] += " …"
        }
        var top = 14 + Self.titleSize + 6
        c.text(title, x: 16, y: 14 + Self.titleSize - 2, size: Self.titleSize, weight: "bold")
        for line in sub {
            top += Self.subtitleSize + 3
            c.text(line, x: 16, y: top - 2, size: Self.subtitleSize, fill: "#555555")
        }
        top += 14

        // Margins from what has to fit around the frame.
        let plotHeightGuess = height - top - 56
        let yTicks = Self.ticks(y, yr.0, yr.1, target: max(3, Int(plotHeightGuess / 55)))
        let yLabelWidth = yTicks.map { SVGCanvas.textWidth($0.1, size: Self.tickSize) }.max() ?? 20
        let left = 16 + Self.labelSize + 10 + yLabelWidth + 8
        let entries = series.enumerated().filter { !$0.element.points.isEmpty }
        let legendWidth = entries.isEmpty ? 0 :
            max(entries.map { SVGCanvas.textWidth($0.element.name, size: Self.legendSize) }.max() ?? 0,
                legendTitle.map { SVGCanvas.textWidth($0, size: Self.legendSize) - 30 } ?? 0) + 46
        let right = width - 16 - legendWidth
        let bottom = height - 16 - Self.labelSize - 8 - Self.tickSize - 10
        precondition(right > left + 40 && bottom > top + 40, "plot too small for its labels")

        let mx = AxisMapping(scale: x.scale, lo: xr.0, hi: xr.1, from: left, to: right)
        let my = AxisMapping(scale: y.scale, lo: yr.0, hi: yr.1, from: bottom, to: top)
        let xTicks = Self.ticks(x, xr.0, xr.1, target: max(3, Int((right - left) / 90)))

        // Frame, grid and ticks.
        c.beginGroup(cls: "axes")
        for (v, _) in yTicks { c.line(left, my.pixel(v), right, my.pixel(v), stroke: "#e6e6e6") }
        for (v, _) in xTicks { c.line(mx.pixel(v), top, mx.pixel(v), bottom, stroke: "#e6e6e6") }
        c.rect(x: left, y: top, width: right - left, height: bottom - top, fill: "none", stroke: "#444444")
        var lastLabelEnd = -Double.infinity
        for (v, label) in xTicks {
            let px = mx.pixel(v)
            c.line(px, bottom, px, bottom + 5, stroke: "#444444")
            let w = SVGCanvas.textWidth(label, size: Self.tickSize)
            // Thin labels that would collide; the tick mark stays.
            guard px - w / 2 > lastLabelEnd + 6 else { continue }
            c.text(label, x: px, y: bottom + 8 + Self.tickSize, size: Self.tickSize, anchor: .middle)
            lastLabelEnd = px + w / 2
        }
        var lastLabelY = Double.infinity
        for (v, label) in yTicks {
            let py = my.pixel(v)
            c.line(left - 5, py, left, py, stroke: "#444444")
            guard lastLabelY - py >= Self.tickSize + 3 else { continue }
            c.text(label, x: left - 8, y: py + Self.tickSize * 0.35, size: Self.tickSize, anchor: .end)
            lastLabelY = py
        }
        c.text(x.title, x: (left + right) / 2, y: height - 16, size: Self.labelSize, anchor: .middle)
        c.text(y.title, x: 16 + Self.labelSize, y: (top + bottom) / 2, size: Self.labelSize, anchor: .middle, rotate: -90)
        c.endGroup()

        // Data, clipped to the frame.
        c.clipRect(id: "frame", x: left, y: top, width: right - left, height: bottom - top)
        for ref in references where mx.contains(ref.x) {
            let px = mx.pixel(ref.x)
            c.line(px, top, px, bottom, stroke: "#888888", dash: "4 3")
            // At the foot of the line: curves that cross it (ROC) are high there.
            c.text(ref.label, x: px + 4, y: bottom - 8, size: Self.tickSize, fill: "#666666")
        }
        let hasErrorBars = series.contains { $0.points.contains { $0.error != nil } }
        for (i, s) in series.enumerated() {
            c.beginGroup(cls: "series", clipTo: "frame")
            let color = Palette.color(i)
            switch style {
            case .scatter:
                for p in s.points where mx.contains(p.x) && my.scale.accepts(p.y) {
                    c.circle(mx.pixel(p.x), my.pixel(p.y), r: 2.6, fill: color, opacity: 0.75)
                }
            case .lines:
                // Series at the same x are nudged apart a few pixels so their error bars stay visible.
                let dodge = series.count > 1 && hasErrorBars ? (Double(i) - Double(series.count - 1) / 2) * min(4, 16 / Double(series.count)) : 0
                var segment: [(Double, Double)] = []
                var segments: [[(Double, Double)]] = []
                for p in s.points {
                    if mx.contains(p.x) && my.scale.accepts(p.y) {
                        segment.append((mx.pixel(p.x) + dodge, my.pixel(p.y)))
                    } else if !segment.isEmpty {
                        segments.append(segment)
                        segment = []
                    }
                }
                if !segment.isEmpty { segments.append(segment) }
                // The band first, under its line: upper edge left to right, lower edge back.
                var band: [(x: Double, lo: Double, hi: Double)] = []
                func closeBand() {
                    if band.count >= 2 {
                        c.polygon(band.map { ($0.x, $0.hi) } + band.reversed().map { ($0.x, $0.lo) }, fill: color, opacity: 0.2)
                    }
                    band = []
                }
                for p in s.points {
                    guard let b = p.band, mx.contains(p.x), b.upperBound.isFinite, b.lowerBound.isFinite, my.scale.accepts(b.upperBound) else {
                        closeBand()
                        continue
                    }
                    let lo = my.scale.accepts(b.lowerBound) ? my.pixel(b.lowerBound) : bottom
                    band.append((mx.pixel(p.x) + dodge, lo, my.pixel(b.upperBound)))
                }
                closeBand()
                for seg in segments where seg.count >= 2 { c.polyline(seg, stroke: color) }
                for p in s.points where mx.contains(p.x) && my.scale.accepts(p.y) {
                    guard let e = p.error, e.isFinite, e > 0 else { continue }
                    let px = mx.pixel(p.x) + dodge
                    let lo = my.scale.accepts(p.y - e) ? my.pixel(p.y - e) : bottom
                    let hi = my.pixel(p.y + e)
                    c.line(px, lo, px, hi, stroke: color, width: 1.3)
                    c.line(px - 4, lo, px + 4, lo, stroke: color, width: 1.3)
                    c.line(px - 4, hi, px + 4, hi, stroke: color, width: 1.3)
                }
                let drawn = s.points.filter { mx.contains($0.x) && my.scale.accepts($0.y) }
                if s.points.count <= Self.maxMarkedPoints {
                    for p in drawn { c.marker(Palette.marker(i), mx.pixel(p.x) + dodge, my.pixel(p.y), size: 8, fill: color) }
                }
            }
            c.endGroup()
        }

        // Legend, right of the frame.
        if !entries.isEmpty {
            c.beginGroup(cls: "legend")
            var ly = top + 4
            if let t = legendTitle {
                c.text(t, x: right + 14, y: ly + Self.legendSize, size: Self.legendSize, weight: "bold")
                ly += Self.legendSize + 8
            }
            let rows = Int((bottom - ly) / 20)
            let shown = entries.count > rows ? Array(entries.prefix(max(0, rows - 1))) : entries
            for (i, s) in shown {
                c.beginGroup(cls: "legend-entry")
                let cy = ly + 8
                let color = Palette.color(i)
                switch style {
                case .lines:
                    c.line(right + 14, cy, right + 38, cy, stroke: color, width: 2)
                    if s.points.count <= Self.maxMarkedPoints { c.marker(Palette.marker(i), right + 26, cy, size: 8, fill: color) }
                case .scatter:
                    c.circle(right + 26, cy, r: 4, fill: color)
                }
                c.text(s.name, x: right + 44, y: cy + Self.legendSize * 0.35, size: Self.legendSize)
                c.endGroup()
                ly += 20
            }
            if shown.count < entries.count {
                c.text("+\(entries.count - shown.count) more", x: right + 44, y: ly + 8 + Self.legendSize * 0.35, size: Self.legendSize, fill: "#555555")
            }
            c.endGroup()
        }
        return c.render()
    }
}
