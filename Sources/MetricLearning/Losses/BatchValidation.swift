import NumericCore

/// Checks a batch before a loss touches it; every failure is bad user input.
///
/// Throws when the label count differs from the number of rows, when an
/// embedding is NaN or infinite, or when no two rows share a label.
func _validateBatch(embeddings: Matrix, labels: [Int32]) throws {
    guard labels.count == embeddings.rows else {
        throw LossError.invalidParameter(
            "the batch has \(embeddings.rows) embeddings but \(labels.count) labels; give one label per embedding row")
    }
    guard embeddings.isFinite else {
        throw LossError.invalidParameter("the embeddings contain NaN or infinite values")
    }
    guard _hasPositivePair(labels) else { throw LossError.noPositivePairs }
}

/// Whether two rows share a label (early exit; O(B²) only when there is none).
func _hasPositivePair(_ labels: [Int32]) -> Bool {
    labels.withUnsafeBufferPointer { y in
        for i in 0..<y.count {
            for j in (i + 1)..<y.count where y[i] == y[j] { return true }
        }
        return false
    }
}

extension PairwiseDistance {
    /// The start every loss shares: validates the batch, computes its
    /// distances and sizes the B × B workspace that will hold dL/dD, zeroed
    /// unless the loss writes every entry itself (`zeroed: false`).
    mutating func _beginBatch(embeddings: Matrix, labels: [Int32], coefficients: inout Matrix, zeroed: Bool = true) throws {
        try _validateBatch(embeddings: embeddings, labels: labels)
        let b = embeddings.rows
        compute(embeddings)
        coefficients.reshape(rows: b, cols: b)
        guard zeroed else { return }
        coefficients.storage.withUnsafeMutableBufferPointer { c in
            let base = c.baseAddress!
            Parallel.forEachRange(b, parts: context.parts(forWork: b * b)) { rows in
                (base + rows.lowerBound * b).update(repeating: 0, count: rows.count * b)
            }
        }
    }
}

extension TripletMiner {
    /// The miner a contrastive or triplet configuration asks for; nil for
    /// `all`, which the losses evaluate in fused loops instead.
    static func _forLoss(_ configuration: LossConfiguration, context: ComputeContext) -> TripletMiner? {
        configuration.mining == .all
            ? nil
            : TripletMiner(kind: configuration.mining, margin: Float(configuration.resolvedMargin), seed: configuration.seed,
                           context: context)
    }
}

/// The batch's distances (read), dL/dD coefficients (written) and labels as
/// pointers, for the O(B²) passes of a loss: one closure instead of three
/// nested `withUnsafe…` calls (the losses' own scratch lives in typed
/// `ScratchBuffer` workspaces and needs none).
func _withBatchPointers<R>(
    _ distances: Matrix, _ coefficients: inout Matrix, _ labels: [Int32],
    _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafePointer<Int32>) throws -> R
) rethrows -> R {
    try distances.storage.withUnsafeBufferPointer { d in
        try coefficients.storage.withUnsafeMutableBufferPointer { c in
            try labels.withUnsafeBufferPointer { y in try body(d.baseAddress!, c.baseAddress!, y.baseAddress!) }
        }
    }
}
