import Foundation
import NumericCore
import Training

/// A grid of sample images for a person to look at: one row per class, one
/// column per typeface (glyphs) or per sample (other image data), written as
/// SVG with each cell an embedded PNG (ink dark on white).
public struct ContactSheet: Sendable {
    public struct Row: Sendable {
        public var title: String
        public var note: String
        /// One image per column (`side × side` bytes, 255 = ink), `nil` for an empty cell.
        public var cells: [[UInt8]?]
    }

    public var columns: [String]
    public var rows: [Row]
    /// Image side in pixels.
    public var side: Int
    /// Screen pixels per image pixel.
    public var zoom = 2

    /// `rows` classes of a glyph set, half training and half test classes,
    /// evenly spread over the code points; columns are the faces.
    public init(glyphs g: GlyphSet, rows count: Int) {
        side = g.size
        columns = g.faces.map(\.name)
        let trainClasses = g.isTrainClass.indices.filter { g.isTrainClass[$0] }
        let testClasses = g.isTrainClass.indices.filter { !g.isTrainClass[$0] }
        func spread(_ classes: [Int], _ n: Int) -> [Int] {
            guard n > 0, !classes.isEmpty else { return [] }
            let n = min(n, classes.count)
            return (0..<n).map { classes[$0 * classes.count / n] }
        }
        let chosen = spread(trainClasses, (count + 1) / 2) + spread(testClasses, count / 2)
        let area = g.size * g.size
        var cell: [Int: [Int: [UInt8]]] = [:]  // class → face → image
        let wanted = Set(chosen)
        for split in [g.train, g.test] {
            for i in 0..<split.count where wanted.contains(Int(split.labels[i])) {
                cell[Int(split.labels[i]), default: [:]][Int(split.faces[i])] = Array(split.pixels[(i * area)..<((i + 1) * area)])
            }
        }
        rows = chosen.map { k in
            let cp = g.codePoints[k]
            let character = Unicode.Scalar(cp).map { String(Character($0)) } ?? "?"
            return Row(title: "\(character) U+\(String(cp, radix: 16, uppercase: true))", note: g.isTrainClass[k] ? "train" : "test",
                       cells: g.faces.indices.map { cell[k]?[$0] })
        }
    }

    /// The first `perClass` samples of `rows` classes of image data (pixels
    /// mapped from the split's value range to 0…255).
    public init(images data: Dataset, rows count: Int, perClass: Int) throws {
        let shape = data.inputShape
        guard shape.isImage, shape.channels == 1, shape.height == shape.width else {
            throw DatasetError("a contact sheet needs square one-channel images; this dataset's samples are \(shape.channels) × \(shape.height) × \(shape.width)")
        }
        side = shape.width
        columns = (1...perClass).map { "sample \($0)" }
        var built: [Row] = []
        for (splitName, split) in [("train", data.train), ("test", data.test)] {
            let lo = split.features.storage.min() ?? 0, hi = split.features.storage.max() ?? 1
            let scale = hi > lo ? 255 / (hi - lo) : 0
            for label in split.classes {
                let indices = split.labels.indices.filter { split.labels[$0] == label }.prefix(perClass)
                let cells: [[UInt8]?] = indices.map { i in
                    split.features.row(i).map { UInt8(max(0, min(255, (($0 - lo) * scale).rounded()))) }
                }
                built.append(Row(title: "class \(label)", note: splitName, cells: cells))
            }
        }
        let half = (count + 1) / 2
        let train = built.filter { $0.note == "train" }, test = built.filter { $0.note == "test" }
        rows = Array(train.prefix(half)) + Array(test.prefix(count - min(half, train.count)))
    }

    /// The sheet as an SVG document.
    public func svg() -> String {
        let cellSize = Double(side * zoom), gap = 4.0
        let left = 120.0, top = 150.0
        let width = left + Double(columns.count) * (cellSize + gap) + gap
        let height = top + Double(rows.count) * (cellSize + gap) + gap
        var canvas = SVGCanvas(width: width, height: height)
        canvas.beginGroup(cls: "columns")
        for (c, name) in columns.enumerated() {
            let x = left + Double(c) * (cellSize + gap) + cellSize / 2
            canvas.text(name, x: x, y: top - 6, size: 10, anchor: .start, rotate: -60)
        }
        canvas.endGroup()
        canvas.beginGroup(cls: "rows")
        for (r, row) in rows.enumerated() {
            let y = top + Double(r) * (cellSize + gap)
            canvas.text(row.title, x: 6, y: y + cellSize / 2, size: 13)
            canvas.text(row.note, x: 6, y: y + cellSize / 2 + 14, size: 10, fill: "#777777")
            for (c, image) in row.cells.enumerated() {
                let x = left + Double(c) * (cellSize + gap)
                guard let image else {
                    canvas.rect(x: x, y: y, width: cellSize, height: cellSize, fill: "#f2f2f2")
                    continue
                }
                let png = PNG.grey(width: side, height: side, pixels: image.map { 255 - $0 })
                canvas.image(x: x, y: y, width: cellSize, height: cellSize, href: "data:image/png;base64," + png.base64EncodedString())
            }
        }
        canvas.endGroup()
        return canvas.render()
    }
}
