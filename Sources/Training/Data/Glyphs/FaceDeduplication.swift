import Dispatch

/// Counts a design once, so that a nearest neighbour in another "typeface" is
/// not the same drawing.
///
/// Two rules, applied in order:
/// 1. **Weights**: of the faces of one family (fontconfig's first family name:
///    "Noto Sans CJK SC" in Thin … Black), keep the one whose weight is
///    closest to regular (400, fontconfig 80); ties go to more Han glyphs,
///    then to file and face index.
/// 2. **Pixels**: the faces are visited by decreasing number of Han glyphs
///    (so the most complete copy of a design is kept); a face is dropped when,
///    of the probe characters it and an already kept face both draw (at least
///    `minimumCommonProbes`), at least a third are the same image: mean
///    absolute pixel difference below `sameImage` (pixels in [0, 1]). Sharing
///    whole glyphs is what marks one design: regional variants (Noto CJK
///    SC/TC/KR/HK share 47–95 % of the probes with JP), monospaced or
///    proportional twins (WenQuanYi Zen Hei Mono, IPAPGothic: 100 %) and
///    derived fonts (Takao from IPA, WenQuanYi Micro Hei from Droid Sans
///    Fallback 86 %, UMing and BabelStone Han from Arphic's Mingti 68–100 %,
///    UKai from KaitiM 60–100 %). Distinct designs share at
///    most one probe (一, a single stroke) — except cwTeXKai, a reworked Arphic
///    Kai, at 21 %, which is kept. Measured on Debian 12's CJK font packages.
enum FaceDeduplication {
    /// Probe characters: every 331st code point of U+4E00–U+9FA5 (64 of them),
    /// spread over the radicals rather than clustered in one.
    static let probes: [UInt32] = Array(stride(from: UInt32(0x4E00), to: 0x9FA6, by: 331))
    static let probeSize = 32
    static let minimumCommonProbes = 8
    /// Two images of a probe count as the same below this mean absolute difference
    /// (identical outlines differ by 0; two designs by 0.03 or more).
    static let sameImage = 0.02

    /// The closest-to-regular face of each family, in the order of `faces`.
    static func byFamily(_ faces: [GlyphFace], coverage: [Int]) -> (kept: [Int], dropped: [DroppedFace]) {
        var best: [String: Int] = [:]
        func better(_ i: Int, than j: Int) -> Bool {
            let di = abs(faces[i].weight - 80), dj = abs(faces[j].weight - 80)
            if di != dj { return di < dj }
            if coverage[i] != coverage[j] { return coverage[i] > coverage[j] }
            return i < j
        }
        for i in faces.indices {
            if let j = best[faces[i].family], !better(i, than: j) { continue }
            best[faces[i].family] = i
        }
        let kept = faces.indices.filter { best[faces[$0].family] == $0 }
        let dropped = faces.indices.filter { best[faces[$0].family] != $0 }.map {
            DroppedFace(face: faces[$0], keptAs: faces[best[faces[$0].family]!].name, rule: "weight", sharedProbes: nil)
        }
        return (kept, dropped)
    }

    /// The faces among `candidates` (indices into `faces`) whose probe glyphs
    /// are not near-identical to a face kept before them.
    static func byPixels(_ faces: [GlyphFace], candidates: [Int], coverage: [Int], rasterizers: [GlyphRasterizer]) -> (kept: [Int], dropped: [DroppedFace]) {
        let area = probeSize * probeSize
        // images[c] holds probe p at offset p * area; drawn[c][p] whether the face draws it.
        var images = [[UInt8]](repeating: [], count: candidates.count)
        var drawn = [[Bool]](repeating: [], count: candidates.count)
        images.withUnsafeMutableBufferPointer { imagesOut in
            drawn.withUnsafeMutableBufferPointer { drawnOut in
                DispatchQueue.concurrentPerform(iterations: candidates.count) { c in
                    let r = rasterizers[candidates[c]]
                    var pixels = [UInt8](repeating: 0, count: probes.count * area)
                    var ok = [Bool](repeating: false, count: probes.count)
                    pixels.withUnsafeMutableBufferPointer { buf in
                        for (p, cp) in probes.enumerated() {
                            ok[p] = r.render(cp, size: probeSize, into: UnsafeMutableBufferPointer(rebasing: buf[(p * area)..<((p + 1) * area)]))
                        }
                    }
                    imagesOut[c] = pixels
                    drawnOut[c] = ok
                }
            }
        }
        let order = candidates.indices.sorted {
            let a = candidates[$0], b = candidates[$1]
            return coverage[a] != coverage[b] ? coverage[a] > coverage[b] : a < b
        }
        var kept: [Int] = [], dropped: [DroppedFace] = []
        for c in order {
            var duplicate: (Int, Double)?
            for k in kept {
                let common = probes.indices.filter { drawn[c][$0] && drawn[k][$0] }
                guard common.count >= minimumCommonProbes else { continue }
                var same = 0
                for p in common {
                    var total = 0
                    for i in (p * area)..<((p + 1) * area) { total += abs(Int(images[c][i]) - Int(images[k][i])) }
                    if Double(total) < sameImage * Double(area * 255) { same += 1 }
                }
                if 3 * same >= common.count { duplicate = (k, Double(same) / Double(common.count)); break }
            }
            if let (k, d) = duplicate {
                dropped.append(DroppedFace(face: faces[candidates[c]], keptAs: faces[candidates[k]].name, rule: "pixels", sharedProbes: d))
            } else {
                kept.append(c)
            }
        }
        return (kept.map { candidates[$0] }.sorted(), dropped)
    }
}
