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
