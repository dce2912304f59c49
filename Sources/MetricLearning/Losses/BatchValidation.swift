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
