import CKernels
import NumericCore

/// A first-order optimizer over every parameter of a model, with its state.
///
/// Update rules (g = gradient, λ = weight decay, η = this step's learning rate):
/// * sgd:   `g += λ p;  v = μ v + g;  p −= η v`  (v starts at 0, so step 1 is `p −= η g`)
/// * adam:  `g += λ p;  m = β₁ m + (1−β₁) g;  s = β₂ s + (1−β₂) g²;
///           p −= η (m / (1−β₁ᵗ)) / (√(s / (1−β₂ᵗ)) + ε)`
/// * adamw: `p −= η λ p`, then the adam step without the `λ p` term.
///
/// Each parameter tensor is updated by one fused loop over raw buffers; a
/// large tensor is cut into fixed stretches of multiples of 16 values that
/// `context`'s workers update at once (elementwise, so the same bits for every
/// worker count).
public struct Optimizer {
    public let kind: OptimizerKind
    public var momentum: Float
    public var weightDecay: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// The workers that share a large tensor's update.
    public var context: ComputeContext
    /// Steps taken so far (Adam's t after the next step is `step + 1`).
    public private(set) var step = 0
    private var first: [[Float]] = []
    private var second: [[Float]] = []

    public init(kind: OptimizerKind, momentum: Float = 0.9, weightDecay: Float = 0, context: ComputeContext = .serial) {
        self.kind = kind
        self.context = context
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// Updates every parameter of `model` from its gradients with learning rate `learningRate`.
    public mutating func update(_ model: EmbeddingModel, learningRate: Float) {
        update(learningRate: learningRate, model.visitParameters)
    }

    /// Updates every parameter that `visit` hands over (values and gradients,
    /// in a fixed order) with learning rate `learningRate`.
    public mutating func update(learningRate: Float, _ visit: ((inout [Float], inout [Float]) -> Void) -> Void) {
        step += 1
        var index = 0
        let kind = self.kind, mu = momentum, wd = weightDecay, eps = epsilon
        let b1 = beta1, b2 = beta2, lr = learningRate
        let t = Double(step)
        let c1 = Float(1 / (1 - Double(b1).power(t))), c2 = Float(1 / (1 - Double(b2).power(t)))
        let context = self.context
        visit { values, gradients in
            if first.count <= index {
                first.append([Float](repeating: 0, count: values.count))
                second.append(kind == .sgd ? [] : [Float](repeating: 0, count: values.count))
            }
            values.withUnsafeMutableBufferPointer { p in
                gradients.withUnsafeBufferPointer { g in
                    first[index].withUnsafeMutableBufferPointer { m in
                        precondition(m.count == p.count && g.count == p.count, "parameter \(index) changed size")
                        let count = p.count, (pp, gp, mp) = (p.baseAddress!, g.baseAddress!, m.baseAddress!)
                        switch kind {
                        case .sgd:
                            Optimizer._forEachStretch(count, context: context) { i, n in
                                Optimizer._sgd(pp + i, gp + i, mp + i, count: n, lr: lr, momentum: mu, decay: wd)
                            }
                        case .adam, .adamw:
                            second[index].withUnsafeMutableBufferPointer { s in
                                let sp = s.baseAddress!
                                Optimizer._forEachStretch(count, context: context) { i, n in
                                    Optimizer._adam(pp + i, gp + i, mp + i, sp + i, count: n,
                                                    lr: lr, beta1: b1, beta2: b2, epsilon: eps, correction1: c1, correction2: c2,
                                                    coupledDecay: kind == .adam ? wd : 0, decoupledDecay: kind == .adamw ? wd : 0)
                                }
                            }
                        }
                    }
                }
            }
            index += 1
        }
    }
}

extension Optimizer {
    /// Calls `body(start, count)` for stretches covering `0..<n`, on
    /// `context.parts(forWork: n)` workers. Every stretch but the last has a
    /// multiple of 16 values, so the kernels' 8-lane bodies and scalar tails
    /// fall on the same elements as for one stretch of `n`.
    static func _forEachStretch(_ n: Int, context: ComputeContext, _ body: (Int, Int) -> Void) {
        let parts = context.parts(forWork: n)
        if parts <= 1 { body(0, n); return }
        let size = ((n + parts - 1) / parts + 15) / 16 * 16
        Parallel.forEachWorker(parts) { part in
            let start = min(n, part * size)
            let count = min(size, n - start)
            if count > 0 { body(start, count) }
        }
    }

    /// One fused SGD-momentum pass over a tensor, eight lanes at a time.
    static func _sgd(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                     count n: Int, lr: Float, momentum mu: Float, decay wd: Float) {
        typealias V = _Vectorized.V
        var i = 0
        while i + 8 <= n {
            let pi = _Vectorized.load(p, i)
            let vi = mu * _Vectorized.load(v, i) + (_Vectorized.load(g, i) + wd * pi)
            _Vectorized.store(vi, v, i)
            _Vectorized.store(pi - lr * vi, p, i)
            i += 8
        }
        while i < n {
            let vi = mu * v[i] + (g[i] + wd * p[i])
            v[i] = vi
            p[i] -= lr * vi
            i += 1
        }
    }

    /// One fused Adam/AdamW pass over a tensor, eight lanes at a time.
    static func _adam(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                      _ s: UnsafeMutablePointer<Float>, count n: Int, lr: Float, beta1 b1: Float, beta2 b2: Float,
                      epsilon eps: Float, correction1 c1: Float, correction2 c2: Float,
                      coupledDecay: Float, decoupledDecay: Float, isa: Int32 = _Vectorized.isa) {
        #if arch(x86_64)
        if isa > 0 {
            var constants = mb_adam_params(lr: lr, beta1: b1, beta2: b2, epsilon: eps, correction1: c1, correction2: c2,
                                           coupled_decay: coupledDecay, decoupled_decay: decoupledDecay)
            mb_adam(isa, p, g, m, s, n, &constants)
            return
        }
        #endif
        let keep = 1 - lr * decoupledDecay
        var i = 0
        while i + 8 <= n {
            let pi = _Vectorized.load(p, i)
            let gi = _Vectorized.load(g, i) + coupledDecay * pi
            let mi = b1 * _Vectorized.load(m, i) + (1 - b1) * gi
            let si = b2 * _Vectorized.load(s, i) + (1 - b2) * (gi * gi)
            _Vectorized.store(mi, m, i)
            _Vectorized.store(si, s, i)
            _Vectorized.store(pi * keep - lr * (mi * c1) / (_Vectorized.squareRoot(si * c2) + eps), p, i)
            i += 8
        }
        while i < n {
            let gi = g[i] + coupledDecay * p[i]
            let mi = b1 * m[i] + (1 - b1) * gi
            let si = b2 * s[i] + (1 - b2) * gi * gi
            m[i] = mi
            s[i] = si
            p[i] = p[i] * keep - lr * (mi * c1) / ((si * c2).squareRoot() + eps)
            i += 1
        }
    }
}

extension Double {
    fileprivate func power(_ e: Double) -> Double { _pow(self, e) }
}

#if canImport(Glibc)
import Glibc
#endif
private func _pow(_ a: Double, _ b: Double) -> Double { pow(a, b) }
