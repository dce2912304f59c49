import CFontconfig

/// The font faces of the system that have Han glyphs, found through fontconfig
/// (never a path written into the code: the packages decide where files go).
public enum FontCatalog {
    /// The Debian packages `make deps` installs for the glyph dataset, named in
    /// errors when fonts are missing.
    public static let packageHint = "install the CJK font packages with `make deps` (e.g. apt-get install fonts-noto-cjk fonts-arphic-ukai fonts-arphic-uming fonts-wqy-zenhei fonts-ipafont-mincho fonts-lxgw-wenkai)"

    /// Every outline face whose character set contains U+4E00 (一), sorted by
    /// file and face index so that the order does not depend on fontconfig's cache.
    public static func hanFaces() -> [GlyphFace] {
        guard let config = FcInitLoadConfigAndFonts() else { return [] }
        defer { FcConfigDestroy(config) }
        guard let pattern = FcPatternCreate(), let charset = FcCharSetCreate(), let objects = FcObjectSetCreate() else { return [] }
        defer {
            FcPatternDestroy(pattern)
            FcCharSetDestroy(charset)
            FcObjectSetDestroy(objects)
        }
        _ = FcCharSetAddChar(charset, 0x4E00)
        _ = FcPatternAddCharSet(pattern, FC_CHARSET, charset)
        _ = FcPatternAddBool(pattern, FC_OUTLINE, FcBool(FcTrue))
        for object in [FC_FILE, FC_INDEX, FC_FAMILY, FC_STYLE, FC_WEIGHT, FC_VARIABLE] { _ = FcObjectSetAdd(objects, object) }
        guard let set = FcFontList(config, pattern, objects) else { return [] }
        defer { FcFontSetDestroy(set) }

        var faces: [GlyphFace] = []
        for i in 0..<Int(set.pointee.nfont) {
            guard let p = set.pointee.fonts[i] else { continue }
            var variable = FcBool(FcFalse)
            // A variable font is listed once per named instance; its default instance stands for it.
            if FcPatternGetBool(p, FC_VARIABLE, 0, &variable) == FcResultMatch, variable != FcBool(FcFalse) { continue }
            guard let file = string(p, FC_FILE, 0) else { continue }
            var index: Int32 = 0, weight: Int32 = 80
            _ = FcPatternGetInteger(p, FC_INDEX, 0, &index)
            _ = FcPatternGetInteger(p, FC_WEIGHT, 0, &weight)
            var families: [String] = []
            while let f = string(p, FC_FAMILY, Int32(families.count)) { families.append(f) }
            faces.append(GlyphFace(
                file: file, index: Int(index), family: families.first ?? file, families: families,
                style: string(p, FC_STYLE, 0) ?? "", weight: Int(weight)))
        }
        return faces.sorted { ($0.file, $0.index) < ($1.file, $1.index) }
    }

    private static func string(_ p: OpaquePointer, _ object: String, _ n: Int32) -> String? {
        var value: UnsafeMutablePointer<FcChar8>?
        guard FcPatternGetString(p, object, n, &value) == FcResultMatch, let v = value else { return nil }
        return String(cString: v)
    }
}
