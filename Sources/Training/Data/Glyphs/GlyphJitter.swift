import NumericCore

/// A small random affine change and stroke-weight change of one training glyph.
///
/// The glyph's outline is mapped by `R(rotation) · [[1, shear], [0, 1]] ·
/// diag(scaleX, scaleY)` about its centre, its strokes are made
/// `stroke` pixels thicker (thinner when negative), and it is moved by
/// `(dx, dy)` pixels. The ranges are small enough that the character stays
/// readable at 32 × 32 and large enough that two faces' renderings of it are
/// not pixel-aligned copies.
public struct GlyphJitter: Hashable, Sendable {
    public var rotation: Double
    public var shear: Double
    public var scaleX: Double
    public var scaleY: Double
    public var dx: Double
    public var dy: Double
    /// Pixels added to the stroke width at 32 × 32 (scaled with the image size).
    public var stroke: Double

    public static let identity = GlyphJitter(rotation: 0, shear: 0, scaleX: 1, scaleY: 1, dx: 0, dy: 0, stroke: 0)

    public init(rotation: Double, shear: Double, scaleX: Double, scaleY: Double, dx: Double, dy: Double, stroke: Double) {
        self.rotation = rotation
        self.shear = shear
        self.scaleX = scaleX
        self.scaleY = scaleY
        self.dx = dx
        self.dy = dy
        self.stroke = stroke
    }

    /// Rotation within ±6°, shear within ±0.12, each axis scaled by 0.86–1.0,
    /// a shift within ±1 pixel (at 32 × 32) and a stroke change of −0.4…+0.8
    /// pixels (thinning less than thickening: thin faces lose strokes sooner).
    public static func random(_ rng: inout SplitMix64) -> GlyphJitter {
        func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * rng.nextUniform() }
        return GlyphJitter(
            rotation: uniform(-6, 6) * Double.pi / 180, shear: uniform(-0.12, 0.12),
            scaleX: uniform(0.86, 1), scaleY: uniform(0.86, 1),
            dx: uniform(-1, 1), dy: uniform(-1, 1), stroke: uniform(-0.4, 0.8))
    }

    /// The jitter of the training image of `codePoint` in `face`: one derived
    /// stream per image, so the result does not depend on which thread renders
    /// it or in what order.
    static func forImage(seed: UInt64, face: GlyphFace, codePoint: UInt32) -> GlyphJitter {
        var h = ContentHash()
        h.add(face.file)
        h.add(UInt64(face.index))
        h.add(UInt64(codePoint))
        var rng = SplitMix64.derived(seed: seed, stream: h.value)
        return random(&rng)
    }
}
