import Foundation
import Training

/// What a dataset is: its classes, samples, split and provenance
/// (`metricbench dataset`).
public struct DatasetSummary: Codable, Sendable {
    public struct Spread: Codable, Sendable, Equatable {
        public var min: Int
        public var median: Double
        public var max: Int
    }

    /// A face of the glyph dataset and how many images it gave.
    public struct FontUse: Codable, Sendable {
        public var name: String
        public var file: String
        public var index: Int
        public var images: Int
    }

    public var name: String
    /// Channels, height, width of one sample.
    public var shape: [Int]
    public var classes: Int
    public var trainClasses: Int
    public var testClasses: Int
    public var trainSamples: Int
    public var testSamples: Int
    /// Samples per class over both splits.
    public var samplesPerClass: Spread
    public var fingerprint: String?
    /// glyphs: the faces the images come from, and those deduplication dropped.
    public var fonts: [FontUse]?
    public var droppedFonts: [DroppedFace]?
    public var freeTypeVersion: String?
    /// glyphs: the first and last code point of the classes.
    public var codePointRange: String?

    enum CodingKeys: String, CodingKey {
        case name, shape, classes, fingerprint, fonts
        case trainClasses = "train_classes", testClasses = "test_classes"
        case trainSamples = "train_samples", testSamples = "test_samples"
        case samplesPerClass = "samples_per_class", droppedFonts = "dropped_fonts"
        case freeTypeVersion = "freetype_version", codePointRange = "code_points"
    }

    /// The summary of `data`, loaded from `spec`; `glyphs` adds the fonts.
    public init(spec: DatasetSpec, data: Dataset, glyphs: GlyphSet? = nil) {
        name = spec.kind.rawValue
        shape = [data.inputShape.channels, data.inputShape.height, data.inputShape.width]
        var counts: [Int32: Int] = [:]
        for l in data.train.labels { counts[l, default: 0] += 1 }
        let trainSet = Set(data.train.labels)
        var testCounts: [Int32: Int] = [:]
        for l in data.test.labels { testCounts[l, default: 0] += 1 }
        for (l, c) in testCounts { counts[l, default: 0] += c }
        trainClasses = trainSet.count
        testClasses = testCounts.count
        classes = counts.count
        trainSamples = data.train.count
        testSamples = data.test.count
        let sorted = counts.values.sorted()
        let median = sorted.isEmpty ? 0 : (sorted.count % 2 == 1
            ? Double(sorted[sorted.count / 2]) : Double(sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
        samplesPerClass = Spread(min: sorted.first ?? 0, median: median, max: sorted.last ?? 0)
        fingerprint = data.fingerprint
        if let g = glyphs {
            var images = [Int](repeating: 0, count: g.faces.count)
            for f in g.train.faces { images[Int(f)] += 1 }
            for f in g.test.faces { images[Int(f)] += 1 }
            fonts = g.faces.enumerated().map { FontUse(name: $1.name, file: $1.file, index: $1.index, images: images[$0]) }
            droppedFonts = g.dropped
            freeTypeVersion = g.freeTypeVersion
            if let first = g.codePoints.first, let last = g.codePoints.last {
                codePointRange = "U+\(String(first, radix: 16, uppercase: true))–U+\(String(last, radix: 16, uppercase: true))"
            }
        }
    }

    /// The summary as indented JSON (sorted keys).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// The summary for a person.
    public func text() -> String {
        var lines = [
            "dataset: \(name)",
            "samples: \(shape.map(String.init).joined(separator: " × ")) (channels × height × width)",
            "classes: \(classes) (\(trainClasses) train, \(testClasses) test)",
            "split: \(trainSamples) train samples, \(testSamples) test samples",
            "samples per class: min \(samplesPerClass.min), median \(Self.number(samplesPerClass.median)), max \(samplesPerClass.max)",
        ]
        if let fingerprint { lines.append("fingerprint: \(fingerprint)") }
        if let codePointRange { lines.append("code points: \(codePointRange)") }
        if let freeTypeVersion { lines.append("FreeType: \(freeTypeVersion)") }
        if let fonts {
            lines.append("fonts used: \(fonts.count)")
            for f in fonts { lines.append("  \(f.name) (\(f.images) images) \(f.file)#\(f.index)") }
        }
        if let dropped = droppedFonts, !dropped.isEmpty {
            lines.append("fonts dropped as duplicates: \(dropped.count)")
            for d in dropped {
                let how = d.sharedProbes.map { "pixels: \(Int(($0 * 100).rounded())) % of the probe glyphs the same" } ?? "another weight of the family"
                lines.append("  \(d.face.name): same design as \(d.keptAs) (\(how))")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func number(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v) }
}
