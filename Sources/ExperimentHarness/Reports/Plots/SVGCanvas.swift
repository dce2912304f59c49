import Foundation

/// A tiny SVG writer: shapes and text appended in drawing order, rendered as one standalone document.
///
/// Coordinates are pixels, y downwards. Numbers are written with two decimals,
/// text is XML-escaped, and the document carries `xmlns`, `width`, `height`
/// and `viewBox`, so it opens in browsers, Inkscape and `rsvg-convert` alike.
public struct SVGCanvas: Sendable {
    public var width: Double
    public var height: Double
    private var elements: [String] = []
    private var depth = 0

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    public enum Anchor: String, Sendable { case start, middle, end }

    /// The finished document.
    public func render() -> String {
        precondition(depth == 0, "unbalanced group")
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" "
        s += "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#ffffff\"/>\n"
        s += elements.joined(separator: "\n")
        s += "\n</svg>\n"
        return s
    }

    /// Opens a `<g>`; `cls` lets tests and stylesheets find the parts of a plot.
    public mutating func beginGroup(cls: String, clipTo clip: String? = nil) {
        var attrs = "class=\"\(escape(cls))\""
        if let clip { attrs += " clip-path=\"url(#\(escape(clip)))\"" }
        elements.append("<g \(attrs)>")
        depth += 1
    }

    public mutating func endGroup() {
        precondition(depth > 0, "endGroup without beginGroup")
        elements.append("</g>")
        depth -= 1
    }

    /// A clip rectangle that later groups refer to by `id`.
    public mutating func clipRect(id: String, x: Double, y: Double, width: Double, height: Double) {
        elements.append("<defs><clipPath id=\"\(escape(id))\"><rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\"/></clipPath></defs>")
    }

    public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil) {
        var s = "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
        if let dash { s += " stroke-dasharray=\"\(dash)\"" }
        elements.append(s + "/>")
    }

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil) {
        var s = "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"\(fill)\""
        if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"1\"" }
        elements.append(s + "/>")
    }

    public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2, dash: String? = nil) {
        let coords = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        var s = "<polyline points=\"\(coords)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\" stroke-linejoin=\"round\""
        if let dash { s += " stroke-dasharray=\"\(dash)\"" }
        elements.append(s + "/>")
    }

    /// A closed filled shape without outline (a band around a line).
    public mutating func polygon(_ points: [(Double, Double)], fill: String, opacity: Double = 1) {
        let coords = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        var s = "<polygon points=\"\(coords)\" fill=\"\(fill)\" stroke=\"none\""
        if opacity < 1 { s += " fill-opacity=\"\(n(opacity))\"" }
        elements.append(s + "/>")
    }

    public mutating func circle(_ x: Double, _ y: Double, r: Double, fill: String, stroke: String? = nil, opacity: Double = 1) {
        var s = "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(r))\" fill=\"\(fill)\""
        if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"1\"" }
        if opacity < 1 { s += " fill-opacity=\"\(n(opacity))\"" }
        elements.append(s + "/>")
    }

    /// A marker of one of a few shapes, so series stay apart in grey-scale print too.
    public mutating func marker(_ shape: MarkerShape, _ x: Double, _ y: Double, size: Double, fill: String) {
        let r = size / 2
        switch shape {
        case .circle:
            circle(x, y, r: r, fill: fill, stroke: "#ffffff")
        case .square:
            elements.append("<rect x=\"\(n(x - r))\" y=\"\(n(y - r))\" width=\"\(n(size))\" height=\"\(n(size))\" fill=\"\(fill)\" stroke=\"#ffffff\" stroke-width=\"1\"/>")
        case .triangle:
            let pts = [(x, y - r * 1.15), (x + r * 1.1, y + r * 0.8), (x - r * 1.1, y + r * 0.8)]
            elements.append("<polygon points=\"\(pts.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " "))\" fill=\"\(fill)\" stroke=\"#ffffff\" stroke-width=\"1\"/>")
        case .diamond:
            let pts = [(x, y - r * 1.25), (x + r * 1.25, y), (x, y + r * 1.25), (x - r * 1.25, y)]
            elements.append("<polygon points=\"\(pts.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " "))\" fill=\"\(fill)\" stroke=\"#ffffff\" stroke-width=\"1\"/>")
        }
    }

    public mutating func text(_ content: String, x: Double, y: Double, size: Double = 12, anchor: Anchor = .start,
                              weight: String? = nil, fill: String = "#222222", rotate: Double? = nil) {
        var s = "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor.rawValue)\" fill=\"\(fill)\""
        if let weight { s += " font-weight=\"\(weight)\"" }
        if let rotate { s += " transform=\"rotate(\(n(rotate)) \(n(x)) \(n(y)))\"" }
        elements.append(s + ">\(escape(content))</text>")
    }

    /// An embedded raster image (`href` a `data:` URI or a path), drawn without smoothing.
    public mutating func image(x: Double, y: Double, width: Double, height: Double, href: String) {
        elements.append("<image x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" href=\"\(escape(href))\" image-rendering=\"pixelated\"/>")
    }

    /// The approximate width of `text` at `size` px (an average glyph of 0.6 em), for layout without a font engine.
    public static func textWidth(_ text: String, size: Double) -> Double {
        Double(text.count) * size * 0.6
    }

    private func n(_ v: Double) -> String {
        precondition(v.isFinite, "non-finite coordinate")
        let s = String(format: "%.2f", v)
        if s.hasSuffix(".00") { return String(s.dropLast(3)) }
        return s.hasSuffix("0") ? String(s.dropLast()) : s
    }
}

/// Marker shapes, cycled with the colours.
public enum MarkerShape: CaseIterable, Sendable { case circle, square, triangle, diamond }

/// XML-escapes text and attribute values.
func escape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(c)
        }
    }
    return out
}

/// The Okabe–Ito palette (Okabe & Ito 2008): eight colours told apart with every common colour-vision deficiency.
public enum Palette {
    /// Yellow last: it is the one hue that is hard to see as a thin line on white.
    public static let okabeIto = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000", "#F0E442"]

    public static func color(_ i: Int) -> String { okabeIto[i % okabeIto.count] }
    public static func marker(_ i: Int) -> MarkerShape { MarkerShape.allCases[i % MarkerShape.allCases.count] }
}
