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

/// A face left out by the deduplication, and why.
public struct DroppedFace: Codable, Hashable, Sendable {
    public var face: GlyphFace
    /// The kept face it duplicates.
    public var keptAs: String
    /// "weight" (another weight of a kept family) or "pixels" (probe glyphs near-identical).
    public var rule: String
    /// For the pixel rule: the share of the common probe characters whose images are the same.
    public var sharedProbes: Double?

    public init(face: GlyphFace, keptAs: String, rule: String, sharedProbes: Double?) {
        self.face = face
        self.keptAs = keptAs
        self.rule = rule
        self.sharedProbes = sharedProbes
    }

    enum CodingKeys: String, CodingKey {
        case face, rule
        case keptAs = "kept_as", sharedProbes = "shared_probes"
    }
}

/// The rendered glyph dataset with what it was made from.
public struct GlyphSet: Sendable {
    /// Hash of the candidate font files' bytes, FreeType's version and the options.
    public var fingerprint: String
    public var options: GlyphOptions
    public var freeTypeVersion: String
    /// Class `k` is the character `codePoints[k]`; ascending.
    public var codePoints: [UInt32]
    /// Whether class `k` is a training class.
    public var isTrainClass: [Bool]
    /// The faces the images come from, after filtering and deduplication.
    public var faces: [GlyphFace]
    public var dropped: [DroppedFace]
    public var train: GlyphSplit
    public var test: GlyphSplit

    public var size: Int { options.size }

    /// The data as the trainer takes it: one grey channel, pixels in [0, 1].
    public var dataset: Dataset {
        Dataset(train: train.labeledData(size: size), test: test.labeledData(size: size),
                inputShape: InputShape(channels: 1, height: size, width: size), fingerprint: fingerprint)
    }
}
