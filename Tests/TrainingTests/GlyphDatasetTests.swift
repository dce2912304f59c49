import Foundation
import NumericCore
import Testing
@testable import Training

/// The few small font packages `.ci/run` installs; the glyph tests use only
/// these faces (by family), so they give the same data on CI and on a machine
/// with every CJK font.
enum GlyphTestFonts {
    static let families = ["AR PL KaitiM GB", "WenQuanYi Micro Hei", "IPAexGothic", "IPAexMincho", "VL Gothic"]
    static let packages = "fonts-arphic-gkai00mp fonts-wqy-microhei fonts-ipaexfont-gothic fonts-ipaexfont-mincho fonts-vlgothic"
    static let faces = FontCatalog.hanFaces()
    static let available = families.allSatisfy { f in faces.contains { $0.families.contains(f) } }
    /// Distinct designs on this machine: the full-set tests need `make deps`.
    static let fullSetInstalled = Set(faces.map(\.family)).count >= 60

    /// A small glyph spec over the CI faces.
    static func spec(classes: Int = 24, minFonts: Int = 4, size: Int = 16, jitter: Bool = true, exclude: [String] = [], dedup: Bool = true) -> DatasetSpec {
        .glyphs(GlyphOptions(classes: classes, size: size, minFonts: minFonts, jitter: jitter,
                             include: families, exclude: exclude, dedup: dedup, seed: 3))
    }
}

@Test func noHanFontIsAnErrorNamingThePackages() {
    #expect { try GlyphDataset.candidateFaces(GlyphOptions(), all: []) } throws: { e in
        "\(e)".contains("no font with Han characters") && "\(e)".contains("make deps") && "\(e)".contains("fonts-noto-cjk")
    }
}

@Suite(.enabled(if: GlyphTestFonts.available, "needs the CI font packages: apt-get install \(GlyphTestFonts.packages)"))
struct GlyphDatasetTests {
    @Test func renderingTwiceGivesTheSameBytes() throws {
        let a = try GlyphDataset.load(GlyphTestFonts.spec(), cache: nil)
        let b = try GlyphDataset.load(GlyphTestFonts.spec(), cache: nil)
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.codePoints == b.codePoints && a.faces == b.faces)
        #expect(a.train == b.train && a.test == b.test)
        #expect(a.train.pixels.contains { $0 > 0 } && a.test.pixels.contains { $0 > 0 })
    }

    @Test func splitIsClassDisjointAndInterleaved() throws {
        let g = try GlyphDataset.load(GlyphTestFonts.spec(classes: 30), cache: nil)
        let train = Set(g.train.labels), test = Set(g.test.labels)
        #expect(train.isDisjoint(with: test))
        #expect(train.union(test) == Set(0..<30))
        #expect(train.count == 15 && test.count == 15)
        // ⌊(k+1)/2⌋ > ⌊k/2⌋ exactly for odd k: the classes alternate.
        #expect(train == Set(stride(from: Int32(1), to: 30, by: 2)))
        #expect(g.codePoints == g.codePoints.sorted() && Set(g.codePoints).count == 30)
        let data = g.dataset
        #expect(data.inputShape == InputShape(channels: 1, height: 16, width: 16))
        #expect(data.fingerprint == g.fingerprint)
        #expect(data.train.features.storage.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func aClassIsACodePointDrawnByAtLeastMinFontsFaces() throws {
        let minFonts = 4
        let g = try GlyphDataset.load(GlyphTestFonts.spec(classes: 20, minFonts: minFonts, jitter: false), cache: nil)
        // Brute force over the kept faces: which code points do at least minFonts of them draw?
        let rasterizers = try g.faces.map { try GlyphRasterizer($0) }
        var image = [UInt8](repeating: 0, count: 16 * 16)
        var expected: [UInt32] = []
        var cp = GlyphDataset.codePoints.lowerBound
        while expected.count < 20 {
            let drawers = rasterizers.filter { r in image.withUnsafeMutableBufferPointer { r.render(cp, size: 16, into: $0) } }.count
            if drawers >= minFonts { expected.append(cp) }
            cp += 1
        }
        #expect(g.codePoints == expected)
        var perClass: [Int32: Int] = [:]
        for l in g.train.labels + g.test.labels { perClass[l, default: 0] += 1 }
        #expect(perClass.values.allSatisfy { $0 >= minFonts && $0 <= g.faces.count })
        // Raising the bar keeps only classes that meet it.
        let strict = try GlyphDataset.load(GlyphTestFonts.spec(classes: 10, minFonts: g.faces.count, jitter: false), cache: nil)
        var strictCounts: [Int32: Int] = [:]
        for l in strict.train.labels + strict.test.labels { strictCounts[l, default: 0] += 1 }
        #expect(strictCounts.values.allSatisfy { $0 == g.faces.count })
    }

    @Test func fingerprintChangesWhenAFontIsExcluded() throws {
        let options = GlyphTestFonts.spec().options(as: GlyphOptions.self)!
        let all = try GlyphDataset.candidateFaces(options)
        var fewer = options
        fewer.exclude = ["VL Gothic"]
        let some = try GlyphDataset.candidateFaces(fewer)
        #expect(some.count < all.count)
        let base = try GlyphDataset.fingerprint(faces: all, options: options)
        #expect(try GlyphDataset.fingerprint(faces: all, options: options) == base)
        #expect(try GlyphDataset.fingerprint(faces: some, options: fewer) != base)
        var bigger = options
        bigger.size = 20
        #expect(try GlyphDataset.fingerprint(faces: all, options: bigger) != base)
    }

    @Test func anIncludeMatchingNoFontIsAClearError() {
        var spec = GlyphTestFonts.spec()
        spec.update(GlyphOptions.self) { $0.include = ["No Such Family"] }
        #expect { try GlyphDataset.load(spec, cache: nil) } throws: { e in
            "\(e)".contains("dataset.fonts") && "\(e)".contains("No Such Family") && "\(e)".contains("IPAexGothic")
        }
    }

    @Test func tooFewFacesForMinFontsNamesTheKeyAndThePackages() {
        #expect { try GlyphDataset.load(GlyphTestFonts.spec(minFonts: 50), cache: nil) } throws: { e in
            "\(e)".contains("min_fonts = 50") && "\(e)".contains("make deps")
        }
    }

    @Test func twinFacesAreCountedOnce() throws {
        let deduped = try GlyphDataset.load(GlyphTestFonts.spec(classes: 8), cache: nil)
        let all = try GlyphDataset.load(GlyphTestFonts.spec(classes: 8, dedup: false), cache: nil)
        // The monospaced twin of WenQuanYi Micro Hei has the same Han glyphs.
        #expect(all.faces.contains { $0.family == "WenQuanYi Micro Hei Mono" })
        #expect(!deduped.faces.contains { $0.family == "WenQuanYi Micro Hei Mono" })
        let twin = deduped.dropped.first { $0.face.family == "WenQuanYi Micro Hei Mono" }
        #expect(twin?.rule == "pixels" && twin?.keptAs.hasPrefix("WenQuanYi Micro Hei") == true)
        #expect(deduped.faces.count == all.faces.count - deduped.dropped.count)
        #expect(deduped.fingerprint != all.fingerprint)
    }

    @Test func jitterChangesTrainingImagesOnly() throws {
        let plain = try GlyphDataset.load(GlyphTestFonts.spec(jitter: false), cache: nil)
        let jittered = try GlyphDataset.load(GlyphTestFonts.spec(jitter: true), cache: nil)
        #expect(plain.test == jittered.test)
        #expect(plain.train.labels == jittered.train.labels && plain.train.faces == jittered.train.faces)
        #expect(plain.train.pixels != jittered.train.pixels)
    }

    @Test func cacheRoundTripsAndLeavesNoTemporaryFile() throws {
        let folder = NSTemporaryDirectory() + "metricbench-glyph-cache-\(ProcessInfo.processInfo.processIdentifier)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = GlyphCache(folder: folder)
        let spec = GlyphTestFonts.spec()
        let rendered = try GlyphDataset.load(spec, cache: cache)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["glyphs-\(rendered.fingerprint).bin"])
        let read = try #require(cache.read(rendered.fingerprint))
        #expect(read.train == rendered.train && read.test == rendered.test)
        #expect(read.codePoints == rendered.codePoints && read.faces == rendered.faces && read.dropped == rendered.dropped)
        #expect(read.options == rendered.options && read.isTrainClass == rendered.isTrainClass)
        #expect(cache.read("0000000000000000") == nil)
        // A second rendering written elsewhere is the same file, byte for byte.
        let other = GlyphCache(folder: folder + "/again")
        _ = try GlyphDataset.load(spec, cache: other)
        #expect(FileManager.default.contents(atPath: other.path(rendered.fingerprint)) == FileManager.default.contents(atPath: cache.path(rendered.fingerprint)))
    }

    @Test func glyphsAreCentredAndFillTheirBox() throws {
        let face = try #require(GlyphTestFonts.faces.first { $0.family == "IPAexGothic" })
        let r = try GlyphRasterizer(face)
        let size = 32
        var image = [UInt8](repeating: 0, count: size * size)
        // 口 (U+53E3) is a box: its inked rows and columns are centred and span 7/8 of the side.
        #expect(image.withUnsafeMutableBufferPointer { r.render(0x53E3, size: size, into: $0) })
        let rows = (0..<size).filter { y in (0..<size).contains { image[y * size + $0] > 127 } }
        let cols = (0..<size).filter { x in (0..<size).contains { image[$0 * size + x] > 127 } }
        let height = rows.last! - rows.first! + 1, width = cols.last! - cols.first! + 1
        #expect(max(height, width) >= 26 && max(height, width) <= 29)
        #expect(abs((rows.first! + rows.last!) - (size - 1)) <= 1 && abs((cols.first! + cols.last!) - (size - 1)) <= 1)
        // A code point outside the face's character map is not drawn.
        #expect(!image.withUnsafeMutableBufferPointer { r.render(0x0E01, size: size, into: $0) })
    }
}

@Suite(.enabled(if: GlyphTestFonts.fullSetInstalled, "needs the full CJK font set: make deps"))
struct GlyphFullSetTests {
    @Test func theDefaultFontsGiveAThousandClassesOfTwentyFaces() throws {
        let g = try GlyphDataset.load(.glyphs(GlyphOptions(classes: 1000, size: 16, jitter: false)), cache: nil)
        #expect(g.codePoints.count == 1000)
        var perClass: [Int32: Int] = [:]
        for l in g.train.labels + g.test.labels { perClass[l, default: 0] += 1 }
        #expect(perClass.count == 1000 && perClass.values.allSatisfy { $0 >= 20 })
        #expect(g.faces.count >= 20)
    }
}
