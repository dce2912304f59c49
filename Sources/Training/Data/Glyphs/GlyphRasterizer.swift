import CFreeType
import NumericCore

/// Renders the glyphs of one font face to grey-scale images with FreeType.
///
/// Each rasterizer owns its own `FT_Library`, so rasterizers of different
/// faces can render on different threads at once (FreeType objects are not
/// shared between threads). The glyph's outline is loaded unscaled and
/// unhinted, scaled so that the larger side of its bounding box fills
/// `fill` of the image (the aspect ratio kept), optionally jittered, and
/// centred by its bounding box; ink is 255, background 0.
public final class GlyphRasterizer {
    public let face: GlyphFace
    private var library: FT_Library?
    private var ftFace: FT_Face?
    private let loadFlags: Int32

    /// The share of the image side the glyph's bounding box fills (2 pixels of
    /// margin on each side at 32 × 32).
    public static let fill = 0.875

    /// Opens `face`; a file FreeType cannot read throws `DataFileError` naming it.
    public init(_ face: GlyphFace) throws {
        self.face = face
        guard FT_Init_FreeType(&library) == 0 else {
            throw DataFileError(path: face.file, problem: "FreeType could not be initialised (is libfreetype6 installed?)")
        }
        guard FT_New_Face(library, face.file, FT_Long(face.index), &ftFace) == 0, let f = ftFace else {
            FT_Done_FreeType(library)
            throw DataFileError(path: face.file, problem: "FreeType cannot open face \(face.index) of this font file; reinstall its package (dpkg -S \(face.file))")
        }
        // A "tricky" font builds glyphs from hinted subglyphs, so its unscaled
        // outlines are meaningless: load it hinted at one pixel per font unit instead.
        if f.pointee.face_flags & FT_Long(FT_FACE_FLAG_TRICKY) != 0 {
            FT_Set_Char_Size(f, 0, FT_F26Dot6(f.pointee.units_per_EM) * 64, 72, 72)
            loadFlags = Int32(FT_LOAD_NO_BITMAP)
        } else {
            loadFlags = Int32(FT_LOAD_NO_SCALE)
        }
    }

    deinit {
        FT_Done_Face(ftFace)
        FT_Done_FreeType(library)
    }

    /// Whether the face's character map has a glyph for `codePoint`.
    public func hasGlyph(_ codePoint: UInt32) -> Bool {
        FT_Get_Char_Index(ftFace, FT_ULong(codePoint)) != 0
    }

    /// FreeType's version, part of the dataset fingerprint (rasterisation may
    /// change between versions).
    public static var freeTypeVersion: String {
        var library: FT_Library?
        guard FT_Init_FreeType(&library) == 0 else { return "unavailable" }
        defer { FT_Done_FreeType(library) }
        var major: FT_Int = 0, minor: FT_Int = 0, patch: FT_Int = 0
        FT_Library_Version(library, &major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// Renders `codePoint` into `image` (`size × size` bytes, row-major, top row
    /// first) and returns whether the face draws it: a glyph in the character
    /// map whose image has ink. `image` is overwritten either way.
    public func render(_ codePoint: UInt32, size: Int, jitter: GlyphJitter = .identity, into image: UnsafeMutableBufferPointer<UInt8>) -> Bool {
        precondition(image.count == size * size, "image buffer holds \(image.count) bytes, need \(size * size)")
        image.update(repeating: 0)
        guard let f = ftFace else { return false }
        let index = FT_Get_Char_Index(f, FT_ULong(codePoint))
        guard index != 0, FT_Load_Glyph(f, index, loadFlags) == 0 else { return false }
        let slot = f.pointee.glyph!
        guard slot.pointee.format == FT_GLYPH_FORMAT_OUTLINE, slot.pointee.outline.n_points > 0 else { return false }
        // The slot's outline is C memory that FreeType owns; address it in place.
        let outline = (UnsafeMutableRawPointer(slot) + MemoryLayout<FT_GlyphSlotRec>.offset(of: \.outline)!)
            .assumingMemoryBound(to: FT_Outline.self)

        var box = FT_BBox()
        FT_Outline_Get_CBox(outline, &box)
        let extent = Double(max(box.xMax - box.xMin, box.yMax - box.yMin))
        guard extent > 0 else { return false }
        // Centre on the origin first so that the linear part acts about the glyph's centre.
        FT_Outline_Translate(outline, -(box.xMin + box.xMax) / 2, -(box.yMin + box.yMax) / 2)

        // Font units → 26.6 pixels, then the jitter's linear part.
        let s = Self.fill * Double(size) * 64 / extent
        let cosR = _cos(jitter.rotation), sinR = _sin(jitter.rotation)
        // R · Shear · diag(sx, sy) · s
        let m00 = s * jitter.scaleX * cosR
        let m01 = s * jitter.scaleY * (cosR * jitter.shear - sinR)
        let m10 = s * jitter.scaleX * sinR
        let m11 = s * jitter.scaleY * (sinR * jitter.shear + cosR)
        var matrix = FT_Matrix(xx: Self.fixed(m00), xy: Self.fixed(m01), yx: Self.fixed(m10), yy: Self.fixed(m11))
        FT_Outline_Transform(outline, &matrix)
        if jitter.stroke != 0 {
            let strength = FT_Pos((jitter.stroke * Double(size) / 32 * 64).rounded())
            FT_Outline_EmboldenXY(outline, strength, strength)
        }
        FT_Outline_Get_CBox(outline, &box)
        let shift = Double(size) / 32 * 64
        FT_Outline_Translate(
            outline,
            FT_Pos(size * 32) - (box.xMin + box.xMax) / 2 + FT_Pos((jitter.dx * shift).rounded()),
            FT_Pos(size * 32) - (box.yMin + box.yMax) / 2 + FT_Pos((jitter.dy * shift).rounded()))

        // A positive pitch puts row 0 at the top and y = 0 at the bottom row,
        // so the image comes out upright.
        var bitmap = FT_Bitmap()
        bitmap.rows = UInt32(size)
        bitmap.width = UInt32(size)
        bitmap.pitch = Int32(size)
        bitmap.buffer = image.baseAddress
        bitmap.num_grays = 256
        bitmap.pixel_mode = UInt8(FT_PIXEL_MODE_GRAY.rawValue)
        guard FT_Outline_Get_Bitmap(library, outline, &bitmap) == 0 else { return false }
        for v in image where v != 0 { return true }
        return false
    }

    private static func fixed(_ v: Double) -> FT_Fixed { FT_Fixed((v * 65536).rounded()) }
}

#if canImport(Glibc)
import Glibc
private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
private func _sin(_ x: Double) -> Double { Glibc.sin(x) }
#endif
