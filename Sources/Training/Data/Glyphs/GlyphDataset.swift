import Dispatch
import Foundation

/// Han characters rendered from the system's CJK fonts: one class per code
/// point, one image per typeface that draws it.
///
/// - Faces: every outline face fontconfig lists with U+4E00, narrowed by
///   `include`/`exclude`, deduplicated (`FaceDeduplication`) unless `dedup` is off.
/// - Classes: the code points of U+4E00–U+9FFF, ascending, that at least
///   `min_fonts` of those faces draw (a glyph in the character map whose
///   unjittered image has ink); the first `classes` of them.
/// - Split: class k (0-based, in code point order) trains when
///   `⌊(k+1)·t/n⌋ > ⌊k·t/n⌋` (t training classes of n), so the training
///   and test classes interleave across the radicals that order the Unicode
///   Han block instead of splitting it into early and late radicals.
/// - Images: `size × size`, the glyph's bounding box scaled to 7/8 of the side
///   and centred; training images get a `GlyphJitter` drawn from a stream
///   derived from (seed, face, code point) when `jitter` is on.
///
/// The same font files and options give bitwise the same images: nothing
/// depends on thread timing, and the fingerprint hashes everything the images
/// are made from. Results are cached under the fingerprint (`GlyphCache`).
public enum GlyphDataset {
    /// The Han block the classes come from.
    public static let codePoints: ClosedRange<UInt32> = 0x4E00...0x9FFF

    /// Loads the glyph dataset `spec` describes, from `cache` when it holds it,
    /// rendering (and storing) it otherwise.
    public static func load(_ spec: DatasetSpec, cache: GlyphCache? = GlyphCache.user()) throws -> GlyphSet {
        guard let options = spec.options(as: GlyphOptions.self) else { preconditionFailure("GlyphDataset.load takes a glyphs spec") }
        return try load(options, split: spec.split, cache: cache)
    }

    /// Loads the glyph dataset of `options`, from `cache` when it holds it,
    /// rendering (and storing) it otherwise.
    public static func load(_ options: GlyphOptions, split: SplitKind = .classDisjoint,
                            cache: GlyphCache? = GlyphCache.user()) throws -> GlyphSet {
        try options.validate(split: split)
        let faces = try candidateFaces(options)
        let fingerprint = try self.fingerprint(faces: faces, options: options)
        if let cache, let set = cache.read(fingerprint) { return set }
        let set = try render(faces: faces, options: options, fingerprint: fingerprint)
        cache?.write(set)
        return set
    }

    /// The faces of `all` (by default what fontconfig lists with Han glyphs),
    /// narrowed by `include` and `exclude`.
    public static func candidateFaces(_ options: GlyphOptions, all: [GlyphFace] = FontCatalog.hanFaces()) throws -> [GlyphFace] {
        guard !all.isEmpty else {
            throw DatasetError("the glyphs dataset found no font with Han characters through fontconfig; \(FontCatalog.packageHint)")
        }
        var faces = all
        if !options.include.isEmpty { faces = faces.filter { $0.matches(options.include) } }
        faces = faces.filter { !$0.matches(options.exclude) }
        guard !faces.isEmpty else {
            let families = Array(Set(all.map(\.family))).sorted().joined(separator: ", ")
            throw DatasetError("dataset.fonts (include \(options.include), exclude \(options.exclude)) leaves none of the \(all.count) Han faces; the families are: \(families)")
        }
        return faces
    }

    /// A hash of the faces' file bytes, FreeType's version, the format of the
    /// images and the options: equal fingerprints mean bitwise-equal images.
    public static func fingerprint(faces: [GlyphFace], options: GlyphOptions) throws -> String {
        var h = ContentHash()
        h.add("metricbench-glyphs-v2")
        h.add(GlyphRasterizer.freeTypeVersion)
        var resolved = options
        resolved.trainClasses = options.resolvedTrainClasses
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        h.add(try encoder.encode(resolved))
        var fileHashes: [String: UInt64] = [:]
        for face in faces {
            h.add(face.file)
            h.add(UInt64(face.index))
            h.add(face.families.joined(separator: "\u{1F}"))
            h.add(UInt64(bitPattern: Int64(face.weight)))
            if fileHashes[face.file] == nil {
                let data: Data
                do { data = try Data(contentsOf: URL(fileURLWithPath: face.file), options: .alwaysMapped) } catch {
                    throw DataFileError(path: face.file, problem: "cannot be read (\(error.localizedDescription)); reinstall its package (dpkg -S \(face.file))")
                }
                var fh = ContentHash()
                fh.add(data)
                fileHashes[face.file] = fh.value
            }
            h.add(fileHashes[face.file]!)
        }
        return h.hex
    }

    /// Renders the dataset (no cache).
    public static func render(faces candidates: [GlyphFace], options: GlyphOptions, fingerprint: String) throws -> GlyphSet {
        let rasterizers = try candidates.map { try GlyphRasterizer($0) }
        let span = Int(codePoints.upperBound - codePoints.lowerBound) + 1

        // The character-map coverage of every candidate, one face per task.
        var covers = [[Bool]](repeating: [], count: candidates.count)
        covers.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: candidates.count) { f in
                out[f] = (0..<span).map { rasterizers[f].hasGlyph(codePoints.lowerBound + UInt32($0)) }
            }
        }
        let coverage = covers.map { $0.reduce(0) { $0 + ($1 ? 1 : 0) } }

        var kept = Array(candidates.indices), dropped: [DroppedFace] = []
        if options.dedup {
            let family = FaceDeduplication.byFamily(candidates, coverage: coverage)
            let pixels = FaceDeduplication.byPixels(candidates, candidates: family.kept, coverage: coverage, rasterizers: rasterizers)
            kept = pixels.kept
            dropped = family.dropped + pixels.dropped
        }
        let faces = kept.map { candidates[$0] }
        let faceRasterizers = kept.map { rasterizers[$0] }
        let faceCovers = kept.map { covers[$0] }
        guard faces.count >= options.minFonts else {
            throw DatasetError("dataset.min_fonts = \(options.minFonts) but only \(faces.count) distinct Han faces are available (\(candidates.count) before deduplication); lower min_fonts, widen dataset.fonts, or \(FontCatalog.packageHint)")
        }

        // Candidate classes by character map, confirmed by rendering in chunks
        // until `classes` have enough inked images.
        let candidatesByMap = (0..<span).filter { j in faceCovers.reduce(0) { $0 + ($1[j] ? 1 : 0) } >= options.minFonts }
            .map { codePoints.lowerBound + UInt32($0) }
        let area = options.size * options.size
        var accepted: [UInt32] = []
        var plain: [UInt32: [[UInt8]?]] = [:]  // code point → per-face image (nil: not drawn)
        var next = 0
        while accepted.count < options.classes && next < candidatesByMap.count {
            let need = options.classes - accepted.count
            let chunk = Array(candidatesByMap[next..<min(candidatesByMap.count, next + need + need / 20 + 8)])
            next += chunk.count
            let images = renderChunk(chunk, rasterizers: faceRasterizers, size: options.size, jitter: nil)
            for (j, cp) in chunk.enumerated() where accepted.count < options.classes {
                let perFace = images.map { $0[j] }
                if perFace.reduce(0, { $0 + ($1 == nil ? 0 : 1) }) >= options.minFonts {
                    accepted.append(cp)
                    plain[cp] = perFace
                }
            }
        }
        guard accepted.count >= options.classes else {
            throw DatasetError("dataset.classes = \(options.classes) but only \(accepted.count) Han characters are drawn by at least min_fonts = \(options.minFonts) of the \(faces.count) faces; lower classes or min_fonts, or \(FontCatalog.packageHint)")
        }

        let n = options.classes, t = options.resolvedTrainClasses
        let isTrain = (0..<n).map { k in (k + 1) * t / n > k * t / n }
        let trainCodePoints = accepted.indices.filter { isTrain[$0] }.map { accepted[$0] }
        var jittered: [UInt32: [[UInt8]?]] = [:]
        if options.jitter {
            let images = renderChunk(trainCodePoints, rasterizers: faceRasterizers, size: options.size, jitter: options.seed)
            for (j, cp) in trainCodePoints.enumerated() { jittered[cp] = images.map { $0[j] } }
        }

        // Faces that draw none of the classes (SetoFont-ex holds mostly CJK
        // extension B) are left out of the list of faces used.
        let used = faces.indices.filter { f in accepted.contains { plain[$0]![f] != nil } }
        var train = GlyphSplit(labels: [], faces: [], pixels: []), test = train
        for (k, cp) in accepted.enumerated() {
            let drawnPlain = plain[cp]!
            let source = isTrain[k] ? (jittered[cp] ?? drawnPlain) : drawnPlain
            for (column, f) in used.enumerated() {
                // A face counts for a class when its plain image has ink; the
                // jittered image of a drawn glyph is used even in the rare case
                // that thinning erased it, so both splits hold the same (class, face) pairs.
                guard drawnPlain[f] != nil else { continue }
                let image = source[f] ?? [UInt8](repeating: 0, count: area)
                if isTrain[k] {
                    train.labels.append(Int32(k)); train.faces.append(Int32(column)); train.pixels += image
                } else {
                    test.labels.append(Int32(k)); test.faces.append(Int32(column)); test.pixels += image
                }
            }
        }
        return GlyphSet(
            fingerprint: fingerprint, options: options, freeTypeVersion: GlyphRasterizer.freeTypeVersion,
            codePoints: accepted, isTrainClass: isTrain, faces: used.map { faces[$0] }, dropped: dropped, train: train, test: test)
    }

    /// `result[f][j]`: face f's image of `chunk[j]`, `nil` when it does not draw
    /// it (jittered from `jitter`'s seed when given); one face per task.
    static func renderChunk(_ chunk: [UInt32], rasterizers: [GlyphRasterizer], size: Int, jitter seed: UInt64?) -> [[[UInt8]?]] {
        var out = [[[UInt8]?]](repeating: [], count: rasterizers.count)
        let area = size * size
        out.withUnsafeMutableBufferPointer { result in
            DispatchQueue.concurrentPerform(iterations: rasterizers.count) { f in
                let r = rasterizers[f]
                var images = [[UInt8]?](repeating: nil, count: chunk.count)
                var buffer = [UInt8](repeating: 0, count: area)
                for (j, cp) in chunk.enumerated() where r.hasGlyph(cp) {
                    let j0 = seed.map { GlyphJitter.forImage(seed: $0, face: r.face, codePoint: cp) } ?? .identity
                    let inked = buffer.withUnsafeMutableBufferPointer { r.render(cp, size: size, jitter: j0, into: $0) }
                    if inked { images[j] = buffer }
                }
                result[f] = images
            }
        }
        return out
    }
}
