import NumericCore

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
    /// The faces the images come from: after filtering and deduplication, those
    /// that draw at least one class.
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
