/// The options of the `glyphs` dataset (`dataset: { name: glyphs, ... }`).
///
/// Every field has a default, so a spec names only what it changes. The
/// defaults give the many-class protocol of SOP/CUB: 3,000 Han characters,
/// the first 1,500 (interleaved, see `GlyphDataset`) for training and the
/// other 1,500 for testing, each drawn by at least 20 typefaces.
///
/// Codable keys: `classes`, `train_classes`, `size`, `min_fonts`, `jitter`,
/// `include`, `exclude`, `dedup`, `seed`.
public struct GlyphOptions: Codable, Hashable, Sendable {
    /// Code points (classes) kept: the first `classes` of U+4E00–U+9FFF, in code
    /// point order, that at least `minFonts` faces draw.
    public var classes: Int
    /// Classes in the training split; `nil` = half.
    public var trainClasses: Int?
    /// Image side in pixels (images are `size × size`, one grey channel).
    public var size: Int
    /// A code point is a class only if this many faces (after deduplication) draw it.
    public var minFonts: Int
    /// Seeded small affine jitter and stroke-weight change of the training
    /// images (test images are never jittered).
    public var jitter: Bool
    /// Keep only faces one of whose family names contains one of these
    /// (case-insensitive); empty = every face with Han glyphs.
    public var include: [String]
    /// Drop faces one of whose family names contains one of these (case-insensitive).
    public var exclude: [String]
    /// Count a design once: drop other weights of a family and faces whose
    /// probe glyphs are near-identical to a kept face's (see `FaceDeduplication`).
    public var dedup: Bool
    /// Seed of the jitter.
    public var seed: UInt64

    public init(
        classes: Int = 3000, trainClasses: Int? = nil, size: Int = 32, minFonts: Int = 20, jitter: Bool = true,
        include: [String] = [], exclude: [String] = [], dedup: Bool = true, seed: UInt64 = 0
    ) {
        self.classes = classes
        self.trainClasses = trainClasses
        self.size = size
        self.minFonts = minFonts
        self.jitter = jitter
        self.include = include
        self.exclude = exclude
        self.dedup = dedup
        self.seed = seed
    }

    /// The number of training classes with the default resolved.
    public var resolvedTrainClasses: Int { trainClasses ?? classes / 2 }

    enum CodingKeys: String, CodingKey {
        case classes, size, jitter, include, exclude, dedup, seed
        case trainClasses = "train_classes", minFonts = "min_fonts"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = GlyphOptions()
        classes = try c.decodeIfPresent(Int.self, forKey: .classes) ?? d.classes
        trainClasses = try c.decodeIfPresent(Int.self, forKey: .trainClasses)
        size = try c.decodeIfPresent(Int.self, forKey: .size) ?? d.size
        minFonts = try c.decodeIfPresent(Int.self, forKey: .minFonts) ?? d.minFonts
        jitter = try c.decodeIfPresent(Bool.self, forKey: .jitter) ?? d.jitter
        include = try c.decodeIfPresent([String].self, forKey: .include) ?? d.include
        exclude = try c.decodeIfPresent([String].self, forKey: .exclude) ?? d.exclude
        dedup = try c.decodeIfPresent(Bool.self, forKey: .dedup) ?? d.dedup
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
    }

    /// Checks the ranges; the message names the spec key.
    public func validate() throws {
        guard classes >= 2 else { throw DatasetError(key: "classes", "must be at least 2 for glyphs, got \(classes)") }
        let t = resolvedTrainClasses
        guard t >= 1 && t < classes else {
            throw DatasetError(key: "train_classes", "must be in 1..<\(classes) (the rest are the unseen test classes), got \(t)")
        }
        guard size >= 8 && size <= 256 else { throw DatasetError(key: "size", "must be in 8...256 pixels, got \(size)") }
        guard minFonts >= 2 else {
            throw DatasetError(key: "min_fonts", "must be at least 2 (a class needs two images to have a positive pair), got \(minFonts)")
        }
    }
}

/// `dataset: { name: glyphs, … }`: the options are the dataset (``GlyphDataset`` renders it).
extension GlyphOptions: DatasetDefinition {
    public static let name = "glyphs"

    public init() { self.init(classes: 3000) }

    public enum SpecKeys: String, CodingKey, CaseIterable {
        case classes, size, jitter, fonts, dedup, seed
        case trainClasses = "train_classes", minFonts = "min_fonts"
    }

    /// `fonts: { include: [...], exclude: [...] }` in a spec.
    enum FontKeys: String, CodingKey, CaseIterable {
        case include, exclude
    }

    public init(specFrom decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecKeys.self)
        let d = GlyphOptions()
        classes = try c.decodeIfPresent(Int.self, forKey: .classes) ?? d.classes
        trainClasses = try c.decodeIfPresent(Int.self, forKey: .trainClasses)
        size = try c.decodeIfPresent(Int.self, forKey: .size) ?? d.size
        minFonts = try c.decodeIfPresent(Int.self, forKey: .minFonts) ?? d.minFonts
        jitter = try c.decodeIfPresent(Bool.self, forKey: .jitter) ?? d.jitter
        dedup = try c.decodeIfPresent(Bool.self, forKey: .dedup) ?? d.dedup
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        include = d.include
        exclude = d.exclude
        if c.contains(.fonts) {
            let fonts = try c.nestedContainer(keyedBy: FontKeys.self, forKey: .fonts)
            include = try fonts.decodeIfPresent([String].self, forKey: .include) ?? d.include
            exclude = try fonts.decodeIfPresent([String].self, forKey: .exclude) ?? d.exclude
        }
    }

    public func validate(split: SplitKind) throws {
        guard split == .classDisjoint else {
            throw DatasetError(key: "split", "must be class-disjoint for glyphs: each class has one image per typeface and the test classes are unseen characters")
        }
        try validate()
    }

    public func facts(split: SplitKind) -> DatasetFacts {
        // Images per class are the faces that draw it: at least min_fonts,
        // about twice that with the Debian fonts.
        DatasetFacts(trainClasses: resolvedTrainClasses, trainSamples: resolvedTrainClasses * 2 * minFonts)
    }

    public var declaredShape: (input: InputShape, samples: Int) {
        // At least `min_fonts` renderings of each class (fonts with the glyph may be more).
        let (samples, overflow) = classes.multipliedReportingOverflow(by: minFonts)
        return (InputShape(channels: 1, height: size, width: size), overflow ? Int.max : samples)
    }

    public func load(split: SplitKind, cached: Bool) throws -> Dataset {
        try GlyphDataset.load(self, split: split, cache: cached ? GlyphCache.user() : nil).dataset
    }

    public func encodeCanonical(to encoder: any Encoder) throws {
        try _DatasetLayout1.with { $0.glyphs = self }.encode(to: encoder)
    }

    public static func decodeCanonical(from decoder: any Decoder) throws -> GlyphOptions {
        try _DatasetLayout1(from: decoder).glyphs ?? GlyphOptions()
    }
}
