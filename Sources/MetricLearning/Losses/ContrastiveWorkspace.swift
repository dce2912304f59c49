import CKernels
import NumericCore

/// The buffers of NT-Xent's and SupCon's per-anchor passes (CKernelsContrastive.h):
/// per-anchor results, a B × B matrix of NT-Xent's terms, and every worker's
/// scratch. Grown with the batch, never shrunk; a loss owns one (a copy of the loss shares it, as
/// `LiftedStructureLoss`'s workspace: a run evaluates its own loss, one call at a time).
///
/// Layout (B = `b`, P = parts, s = the kernel's scratch per worker):
/// `reals` = `perAnchorReals` rows of B, then B × B terms (NT-Xent), then P × s;
/// `counts` = two rows of B.
struct _ContrastiveWorkspace {
    let reals = ScratchBuffer<Double>()
    let counts = ScratchBuffer<Int64>()

    /// The slices of a batch of `b` anchors on `parts` workers, `perAnchorReals` values per anchor,
    /// with (`terms`) or without the B × B terms, for a kernel needing `scratchCount` doubles per worker.
    func reserve(b: Int, parts: Int, perAnchorReals: Int, terms: Bool, scratchCount: Int) -> _ContrastiveRows {
        let termCount = terms ? b * b : 0
        let reals = reals.reserve(perAnchorReals * b + termCount + parts * scratchCount)
        let counts = counts.reserve(2 * b)
        return _ContrastiveRows(
            b: b, perAnchor: reals, terms: reals + perAnchorReals * b,
            scratch: reals + perAnchorReals * b + termCount, scratchCount: scratchCount,
            positives: counts, active: counts + b)
    }
}

/// One evaluation's view of a ``_ContrastiveWorkspace``.
struct _ContrastiveRows {
    let b: Int
    /// Row k of the per-anchor values: `perAnchor + k·b`.
    let perAnchor: UnsafeMutablePointer<Double>
    /// B × B, anchor a's terms from a·b on (NT-Xent).
    let terms: UnsafeMutablePointer<Double>
    let scratch: UnsafeMutablePointer<Double>
    let scratchCount: Int
    /// Per anchor, its positive pairs; per anchor, its active ones (NT-Xent).
    let positives: UnsafeMutablePointer<Int64>, active: UnsafeMutablePointer<Int64>

    /// Row `k` of the per-anchor values.
    func values(_ k: Int) -> UnsafeMutablePointer<Double> { perAnchor + k * b }

    /// Worker `part`'s scratch.
    func scratch(part: Int) -> UnsafeMutablePointer<Double> { scratch + part * scratchCount }
}

/// `body(s, c, m)` on the similarities, the coefficients and the pair mask's storage.
func _withPairRowPointers<R>(
    _ similarities: Matrix, _ coefficients: inout Matrix, _ mask: _PairMask,
    _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafePointer<UInt8>) throws -> R
) rethrows -> R {
    try similarities.storage.withUnsafeBufferPointer { s in
        try coefficients.storage.withUnsafeMutableBufferPointer { c in
            try mask.values.withUnsafeBufferPointer { m in try body(s.baseAddress!, c.baseAddress!, m.baseAddress!) }
        }
    }
}
