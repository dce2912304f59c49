import Foundation
import Testing
@testable import MetricLearning

/// Finite-difference checks of the modern losses' analytic gradients with
/// respect to the embeddings, the proxies / class weights, and β (margin).
///
/// Directional derivatives along seeded random unit directions: the loss is
/// evaluated in float32 GEMMs, so a central difference with h = 1e-3 along a
/// whole-matrix direction is accurate to about 1e-3 relative, far below the
/// error any wrong term of a gradient would make.
enum ModernFiniteDifferences {
    /// Moderate parameters (scales of a few units), where a central difference resolves the curvature.
    static let parameters: [String: [String: ModernLossFixtures.JSONValue]] = [
        "multi-similarity": ["alpha": .number(2), "beta": .number(10), "base": .number(0.5)],
        "ntxent": ["temperature": .number(0.5)],
        "supcon": ["temperature": .number(0.5)],
        "circle": ["m": .number(0.25), "gamma": .number(4)],
        "margin": ["margin": .number(0.2), "beta": .number(1.2)],
        "proxy-nca": ["softmax_scale": .number(1)],
        "proxy-anchor": ["margin": .number(0.1), "alpha": .number(8)],
        "normalized-softmax": ["temperature": .number(0.5)],
        "arcface": ["margin": .number(28.6), "scale": .number(4)],
        "cosface": ["margin": .number(0.35), "scale": .number(4)],
    ]

    static func normal(rows: Int, cols: Int, _ g: inout SplitMix64) -> Matrix {
        Matrix(rows: rows, cols: cols, storage: (0..<(rows * cols)).map { _ in Float(g.nextNormal()) })
    }

    /// A unit-Frobenius-norm direction.
    static func direction(rows: Int, cols: Int, _ g: inout SplitMix64) -> Matrix {
        var v = normal(rows: rows, cols: cols, &g)
        let norm = v.storage.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        for k in 0..<v.count { v.storage[k] = Float(Double(v.storage[k]) / norm) }
        return v
    }

    static func shifted(_ x: Matrix, _ v: Matrix, _ h: Double) -> Matrix {
        var out = x
        for k in 0..<x.count { out.storage[k] = Float(Double(x.storage[k]) + h * Double(v.storage[k])) }
        return out
    }

    static func dot(_ a: Matrix, _ b: Matrix) -> Double {
        zip(a.storage, b.storage).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    static func norm(_ a: Matrix) -> Double { dot(a, a).squareRoot() }

    /// A batch of 4 classes × 3 samples (and a fifth class of one) in 5 dimensions, with 6 class rows.
    static func batch(seed: UInt64) -> (x: Matrix, labels: [Int32], classIndex: [Int32], weights: Matrix) {
        var g = SplitMix64(seed: seed)
        let labels: [Int32] = [2, 2, 2, 5, 5, 5, 7, 7, 7, 9, 9, 9, 11]
        let classIndex: [Int32] = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4]
        return (normal(rows: labels.count, cols: 5, &g), labels, classIndex, normal(rows: 6, cols: 5, &g))
    }

    /// Whether `numeric` agrees with `analytic` within the float32 noise of the loss.
    static func agree(_ numeric: Double, _ analytic: Double, scale: Double) -> Bool {
        abs(numeric - analytic) <= 1e-2 * abs(analytic) + 2e-3 * scale + 1e-6
    }
}

@Test(arguments: AnyModernLoss.names.filter { $0 != "circle" })
func modernLossGradientsMatchFiniteDifferences(_ name: String) throws {
    typealias F = ModernFiniteDifferences
    let p = try #require(F.parameters[name])
    let (x, y, ci, w) = F.batch(seed: 15)
    var loss = try AnyModernLoss(name, p)
    let base = try loss.evaluate(x, y, classIndex: ci, weights: w)
    #expect(base.result.loss > 0, "\(name): the check needs a non-zero loss")
    var g = SplitMix64(seed: 99)
    let h = 1e-3
    for _ in 0..<3 {
        let v = F.direction(rows: x.rows, cols: x.cols, &g)
        let plus = try loss.evaluate(F.shifted(x, v, h), y, classIndex: ci, weights: w).result.loss
        let minus = try loss.evaluate(F.shifted(x, v, -h), y, classIndex: ci, weights: w).result.loss
        let numeric = (plus - minus) / (2 * h), analytic = F.dot(base.gradient, v)
        #expect(F.agree(numeric, analytic, scale: F.norm(base.gradient)), "\(name): dL/dX·v \(analytic), finite difference \(numeric)")
        guard loss.isProxy else { continue }
        let u = F.direction(rows: w.rows, cols: w.cols, &g)
        let wPlus = try loss.evaluate(x, y, classIndex: ci, weights: F.shifted(w, u, h)).result.loss
        let wMinus = try loss.evaluate(x, y, classIndex: ci, weights: F.shifted(w, u, -h)).result.loss
        let wNumeric = (wPlus - wMinus) / (2 * h)
        let weightGradient = try #require(base.weightGradient)
        let wAnalytic = F.dot(weightGradient, u)
        #expect(F.agree(wNumeric, wAnalytic, scale: F.norm(weightGradient)),
                "\(name): dL/dW·u \(wAnalytic), finite difference \(wNumeric)")
    }
}

@Test func marginLossBetaGradientMatchesFiniteDifferences() throws {
    let (x, y, _, _) = ModernFiniteDifferences.batch(seed: 15)
    for nu in [0.0, 0.1] {
        var loss = MarginLoss(.init(margin: 0.2, beta: 1.1, learnBeta: true, nu: nu))
        var g = Matrix(rows: 0, cols: 0)
        _ = try loss.evaluate(embeddings: x, labels: y, triplets: nil, gradient: &g)
        let analytic = loss.betaGradient
        let h = 1e-4
        loss.beta = 1.1 + h
        let plus = try loss.evaluate(embeddings: x, labels: y, triplets: nil, gradient: &g).loss
        loss.beta = 1.1 - h
        let minus = try loss.evaluate(embeddings: x, labels: y, triplets: nil, gradient: &g).loss
        let numeric = (plus - minus) / (2 * h)
        #expect(analytic != nu, "the hinge terms must contribute to dL/dbeta")
        #expect(abs(numeric - analytic) <= 1e-3 * abs(analytic) + 1e-5, "nu \(nu): dL/dbeta \(analytic), finite difference \(numeric)")
    }
}

/// Circle loss with its pair weights a held at their values at `frozen`
/// (PML's `detach()`), in float64: the function whose gradient `CircleLoss`
/// returns.
func circleSurrogate(_ x: Matrix, frozen: Matrix, labels y: [Int32], m: Double, gamma: Double) -> Double {
    func unitRows(_ a: Matrix) -> [[Double]] {
        (0..<a.rows).map { i in
            let r = a.row(i).map(Double.init)
            let n = max(r.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            return r.map { $0 / n }
        }
    }
    let u = unitRows(x), u0 = unitRows(frozen), b = y.count
    func cos(_ v: [[Double]], _ i: Int, _ j: Int) -> Double { zip(v[i], v[j]).reduce(0) { $0 + $1.0 * $1.1 } }
    var total = 0.0, active = 0
    for i in 0..<b {
        var pos: [Double] = [], neg: [Double] = []
        for j in 0..<b where j != i {
            let s = cos(u, i, j), s0 = cos(u0, i, j)
            if y[i] == y[j] { pos.append(-gamma * max(1 + m - s0, 0) * (s - (1 - m))) }
            else { neg.append(gamma * max(s0 + m, 0) * (s - m)) }
        }
        guard !pos.isEmpty, !neg.isEmpty else { continue }
        func lse(_ v: [Double]) -> Double { let t = v.max()!; return t + Foundation.log(v.reduce(0) { $0 + Foundation.exp($1 - t) }) }
        let z = lse(pos) + lse(neg)
        total += z > 0 ? z + Foundation.log1p(Foundation.exp(-z)) : Foundation.log1p(Foundation.exp(z))
        active += 1
    }
    return active > 0 ? total / Double(active) : 0
}

@Test func circleLossGradientIsTheDerivativeWithFrozenPairWeights() throws {
    typealias F = ModernFiniteDifferences
    let (x, y, _, _) = F.batch(seed: 15)
    let m = 0.25, gamma = 4.0
    var loss = CircleLoss(.init(m: m, gamma: gamma))
    var gradient = Matrix(rows: 0, cols: 0)
    let value = try loss.evaluate(embeddings: x, labels: y, pairs: nil, gradient: &gradient).loss
    #expect(abs(value - circleSurrogate(x, frozen: x, labels: y, m: m, gamma: gamma)) <= 1e-5 * value)
    var g = SplitMix64(seed: 7)
    let h = 1e-4
    for _ in 0..<3 {
        let v = F.direction(rows: x.rows, cols: x.cols, &g)
        let numeric = (circleSurrogate(F.shifted(x, v, h), frozen: x, labels: y, m: m, gamma: gamma)
            - circleSurrogate(F.shifted(x, v, -h), frozen: x, labels: y, m: m, gamma: gamma)) / (2 * h)
        let analytic = F.dot(gradient, v)
        #expect(F.agree(numeric, analytic, scale: F.norm(gradient)), "dL/dX·v \(analytic), finite difference \(numeric)")
    }
}

@Test func proxyInitialisationFollowsPytorchMetricLearning() {
    var g = SplitMix64(seed: 3)
    let anchor = ProxyAnchorLoss.initialWeights(classes: 50, dimension: 400, generator: &g)
    let nca = ProxyNCALoss.initialWeights(classes: 50, dimension: 400, generator: &g)
    func std(_ m: Matrix) -> Double {
        let mean = m.storage.reduce(0) { $0 + Double($1) } / Double(m.count)
        return (m.storage.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(m.count)).squareRoot()
    }
    #expect(anchor.rows == 50 && anchor.cols == 400)
    // kaiming_normal_(mode="fan_out") on C × d: std √(2 / C) = 0.2; normal_: std 1.
    #expect(abs(std(anchor) - 0.2) < 0.01)
    #expect(abs(std(nca) - 1) < 0.03)
    var again = SplitMix64(seed: 3)
    #expect(ProxyAnchorLoss.initialWeights(classes: 50, dimension: 400, generator: &again) == anchor)
}

@Test func modernLossParametersRejectBadValuesWithTheKeyName() {
    #expect(throws: LossError.self) { try MultiSimilarityLoss.Parameters(alpha: 0).validate() }
    #expect(throws: LossError.self) { try NTXentLoss.Parameters(temperature: 0).validate() }
    #expect(throws: LossError.self) { try SupConLoss.Parameters(temperature: -1).validate() }
    #expect(throws: LossError.self) { try CircleLoss.Parameters(gamma: 0).validate() }
    #expect(throws: LossError.self) { try MarginLoss.Parameters(nu: -1).validate() }
    #expect(throws: LossError.self) { try ProxyNCALoss.Parameters(softmaxScale: 0).validate() }
    #expect(throws: LossError.self) { try ProxyAnchorLoss.Parameters(alpha: .nan).validate() }
    #expect(throws: LossError.self) { try NormalizedSoftmaxLoss.Parameters(temperature: 0).validate() }
    #expect(throws: LossError.self) { try ArcFaceLoss.Parameters(margin: 200).validate() }
    #expect(throws: LossError.self) { try CosFaceLoss.Parameters(scale: 0).validate() }
    #expect(throws: LossError.self) { try MultiSimilarityMiner.Parameters(epsilon: .infinity).validate() }
    do {
        try ArcFaceLoss.Parameters(margin: 200).validate()
    } catch {
        #expect("\(error)".contains("margin") && "\(error)".contains("degrees"))
    }
    #expect((try? MultiSimilarityLoss.Parameters().validate()) != nil)
}

@Test func proxyLossRejectsAClassIndexOutsideTheProxyRows() {
    var loss = ProxyAnchorLoss(.init())
    var g = Matrix(rows: 0, cols: 0), wg = Matrix(rows: 0, cols: 0)
    let x = Matrix([[1, 0], [0, 1]]), w = Matrix([[1, 0], [0, 1]])
    #expect(throws: LossError.self) {
        try loss.evaluate(embeddings: x, labels: [0, 1], classIndex: [0, 2], weights: w, gradient: &g, weightGradient: &wg)
    }
    #expect(throws: LossError.self) {
        try loss.evaluate(embeddings: x, labels: [0, 1], classIndex: [0, 1], weights: Matrix([[1, 0, 0]]), gradient: &g, weightGradient: &wg)
    }
}

/// The spec path: keys by their snake_case names, missing keys at PML's
/// defaults, resolved through the registry.
@Test func modernLossParametersReadSpecKeysAndKeepDefaultsForMissingOnes() throws {
    func resolve(_ loss: String, _ values: [String: ParameterValue]) throws -> [String: ParameterValue] {
        try #require(LossKind(rawValue: loss).flatMap(LossRegistry.loss)).resolvedParameters(values)
    }
    #expect(try resolve("ntxent", [:]) == ["temperature": .double(0.07)])
    #expect(try resolve("ntxent", ["temperature": .double(0.2)]) == ["temperature": .double(0.2)])
    #expect(try resolve("margin", ["learn_beta": .bool(true), "beta": .int(1)])
            == ["margin": .double(0.2), "beta": .double(1), "learn_beta": .bool(true), "nu": .double(0)])
    #expect(try resolve("proxy-nca", ["softmax_scale": .int(3)]) == ["softmax_scale": .double(3)])
    #expect(try resolve("multi-similarity", ["base": .double(0.3)])
            == ["alpha": .double(2), "beta": .double(50), "base": .double(0.3), "epsilon": .double(0.1)])
    #expect(try resolve("arcface", [:])["margin"] == .double(28.6))
    #expect(throws: LossError.self) { try resolve("circle", ["gamma": .double(-1)]) }
    #expect(throws: LossError.self) { try resolve("margin", ["learn_beta": .double(1)]) }
}

@Test func modernLossesGiveTheSameBitsForOneAndThreeWorkers() throws {
    // 600 rows: the B × B × d products are large enough to be tiled.
    var g = SplitMix64(seed: 5)
    let b = 600, d = 32
    let x = ModernFiniteDifferences.normal(rows: b, cols: d, &g)
    let labels = (0..<b).map { Int32($0 % 20) }
    let w = ModernFiniteDifferences.normal(rows: 20, cols: d, &g)
    for name in AnyModernLoss.names {
        let p = try #require(ModernFiniteDifferences.parameters[name])
        var serial = try AnyModernLoss(name, p, context: .serial)
        var parallel = try AnyModernLoss(name, p, context: ComputeContext(workers: 3))
        let a = try serial.evaluate(x, labels, classIndex: labels, weights: w)
        let c = try parallel.evaluate(x, labels, classIndex: labels, weights: w)
        #expect(a.result == c.result && a.gradient == c.gradient && a.weightGradient == c.weightGradient, "\(name)")
    }
    var m1 = MultiSimilarityMiner(.init(), context: .serial), m3 = MultiSimilarityMiner(.init(), context: ComputeContext(workers: 3))
    var p1 = PairIndices(), p3 = PairIndices()
    m1.mine(embeddings: x, labels: labels, into: &p1)
    m3.mine(embeddings: x, labels: labels, into: &p3)
    #expect(p1 == p3 && p1.count > 0)
}
