import NumericCore

/// The images of one split of the glyph dataset: one `size × size` grey image
/// (bytes, ink 255) per (class, face) pair the face draws.
public struct GlyphSplit: Sendable, Equatable {
    /// The class of each image: an index into `GlyphSet.codePoints`.
    public var labels: [Int32]
    /// The face of each image: an index into `GlyphSet.faces`.
    public var faces: [Int32]
    /// `labels.count × size²` bytes, image after image, rows top first.
    public var pixels: [UInt8]

    public init(labels: [Int32], faces: [Int32], pixels: [UInt8]) {
        self.labels = labels
        self.faces = faces
        self.pixels = pixels
    }

    public var count: Int { labels.count }

    /// The images as a feature matrix with values in [0, 1].
    func labeledData(size: Int) -> LabeledData {
        var m = Matrix(rows: count, cols: size * size)
        m.storage.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { p in
                for i in 0..<p.count { out[i] = Float(p[i]) * (1 / 255) }
            }
        }
        return LabeledData(features: m, labels: labels)
    }
}
