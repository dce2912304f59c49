import MetricLearning
import NumericCore
import Training

/// A deliberately trivial O(B·d) loss for measuring the trainer's own cost.
///
/// `L = 1/(2B) Σ_i ‖x_i − x_{π(i)}‖²`, with π(i) the next sample of the same
/// P×K block (cyclically): it pulls classes together and has no negatives, so
/// it is not a metric-learning loss — only a cheap, exact one.
/// Gradient: `∂L/∂x_i = ((x_i − x_{π(i)}) − (x_{π⁻¹(i)} − x_i)) / B`.
public struct BenchmarkLoss: BatchLoss {
    public let samplesPerClass: Int

    public init(samplesPerClass: Int) {
        precondition(samplesPerClass >= 1, "samplesPerClass must be positive")
        self.samplesPerClass = samplesPerClass
    }

    public mutating func evaluate(embeddings: Matrix, labels: [Int32], gradient: inout Matrix) throws -> LossResult {
        let b = embeddings.rows, d = embeddings.cols, k = samplesPerClass
        precondition(b % k == 0, "batch of \(b) is not made of blocks of \(k)")
        gradient.reshape(rows: b, cols: d)
        var total: Float = 0
        embeddings.storage.withUnsafeBufferPointer { x in
            gradient.storage.withUnsafeMutableBufferPointer { g in
                let inv = 1 / Float(b)
                for i in 0..<b {
                    let block = i - i % k
                    let next = block + (i - block + 1) % k, prev = block + (i - block + k - 1) % k
                    let xi = x.baseAddress! + i * d, xn = x.baseAddress! + next * d, xp = x.baseAddress! + prev * d
                    let gi = g.baseAddress! + i * d
                    for j in 0..<d {
                        let forward = xi[j] - xn[j]
                        total += forward * forward
                        gi[j] = (forward - (xp[j] - xi[j])) * inv
                    }
                }
            }
        }
        return LossResult(loss: Double(total) / Double(2 * b), tuples: b, activeFraction: 1)
    }
}
