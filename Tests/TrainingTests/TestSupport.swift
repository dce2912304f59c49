import Foundation
import NumericCore
@testable import Training

/// A small contrastive loss on squared distances, with its analytic gradient,
/// so that the trainer can be tested before (and independently of) the real losses.
///
/// `L = mean over pairs i < j of [same: D²_ij, different: relu(m − D²_ij)]`, m = 1.
struct PairTestLoss: BatchLoss {
    var configuration = LossConfiguration(loss: .contrastive)
    var margin: Float = 1

    mutating func evaluate(embeddings x: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        let b = x.rows, d = x.cols
        gradient.reshape(rows: b, cols: d)
        gradient.fill(0)
        var total = 0.0, active = 0, pairs = 0
        for i in 0..<b {
            for j in (i + 1)..<b {
                var d2: Float = 0
                for t in 0..<d { let u = x[i, t] - x[j, t]; d2 += u * u }
                pairs += 1
                var coefficient: Float = 0  // dL/dD² of this pair
                if labels[i] == labels[j] {
                    total += Double(d2); coefficient = 1
                    if d2 > 0 { active += 1 }
                } else if margin - d2 > 0 {
                    total += Double(margin - d2); coefficient = -1; active += 1
                }
                if coefficient != 0 {
                    for t in 0..<d {
                        let g = 2 * coefficient * (x[i, t] - x[j, t])
                        gradient[i, t] += g
                        gradient[j, t] -= g
                    }
                }
            }
        }
        let n = Float(max(pairs, 1))
        for i in gradient.storage.indices { gradient.storage[i] /= n }
        return LossResult(loss: total / Double(max(pairs, 1)), tuples: pairs, activeFraction: Double(active) / Double(max(pairs, 1)))
    }
}

/// A loss that returns NaN from the `after`-th call on.
struct NaNLoss: BatchLoss {
    var configuration = LossConfiguration(loss: .contrastive)
    var calls = 0
    var after = 3

    mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        calls += 1
        gradient.reshape(rows: embeddings.rows, cols: embeddings.cols)
        gradient.fill(calls >= after ? .nan : 0.01)
        return LossResult(loss: calls >= after ? .nan : 1, tuples: 1, activeFraction: 1)
    }
}

func randomMatrix(rows: Int, cols: Int, seed: UInt64, scale: Double = 1) -> Matrix {
    var rng = SplitMix64(seed: seed)
    var m = Matrix(rows: rows, cols: cols)
    for i in m.storage.indices { m.storage[i] = Float(scale * rng.nextNormal()) }
    return m
}

func temporaryDirectory(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("training-tests-\(getpid())-\(name)")
    try? FileManager.default.removeItem(at: dir)
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.path
}

func isClose(_ a: Double, _ b: Double, relative: Double = 1e-2, absolute: Double = 1e-3) -> Bool {
    abs(a - b) <= relative * max(abs(a), abs(b)) + absolute
}
