import Foundation
import Testing
@testable import MetricLearning

/// The cases of `Fixtures/modern-losses.json`, written by
/// `benchmarks/pml_fixtures.py` from pytorch-metric-learning 2.9.
struct ModernLossFixtures: Decodable {
    struct Reference: Decodable {
        var value: Double
        var grad: [[Double]]?
        var weight_grad: [[Double]]?
        var beta_grad: Double?
    }

    struct Case: Decodable {
        var name: String
        var loss: String
        var params: [String: JSONValue]
        var embeddings: [[Float]]
        var labels: [Int32]
        var class_index: [Int32]?
        var weights: [[Float]]?
        var pairs: [[Int32]]?
        var triplets: [[Int32]]?
        var miner_params: [String: JSONValue]?
        var f64: Reference
        var f32: Reference
        var reference: String

        /// The reference the case is checked against (see the generator's docstring).
        var expected: Reference { reference == "f32" ? f32 : f64 }
    }

    /// A parameter value of the fixture (a number or a flag).
    enum JSONValue: Codable, Equatable {
        case number(Double), flag(Bool)

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .flag(b) } else { self = .number(try c.decode(Double.self)) }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .number(let v): try c.encode(v)
            case .flag(let v): try c.encode(v)
            }
        }
    }

    var cases: [Case]

    static func load() throws -> ModernLossFixtures {
        let url = try #require(Bundle.module.url(forResource: "modern-losses", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(ModernLossFixtures.self, from: Data(contentsOf: url))
    }
}

/// Decodes `P` from its defaults overlaid with the fixture's spec keys, so the
/// Parameters' snake_case coding keys are exercised too.
func parameters<P: Codable>(_ defaults: P, _ overrides: [String: ModernLossFixtures.JSONValue]) throws -> P {
    var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults)) as? [String: Any])
    for (key, value) in overrides {
        #expect(object[key] != nil, "fixture key '\(key)' is not a spec key of \(P.self)")
        switch value {
        case .number(let v): object[key] = v
        case .flag(let v): object[key] = v
        }
    }
    return try JSONDecoder().decode(P.self, from: JSONSerialization.data(withJSONObject: object))
}

/// What one evaluation of a modern loss gives.
struct ModernOutput {
    var result: LossResult
    var gradient: Matrix
    var weightGradient: Matrix?
    var betaGradient: Double?
}

/// A modern loss of any kind, dispatched by its spec name (the registry is the lead's; this is the test's own).
enum AnyModernLoss {
    case multiSimilarity(MultiSimilarityLoss), ntxent(NTXentLoss), supcon(SupConLoss), circle(CircleLoss)
    case margin(MarginLoss)
    case proxyNCA(ProxyNCALoss), proxyAnchor(ProxyAnchorLoss), normalizedSoftmax(NormalizedSoftmaxLoss)
    case arcface(ArcFaceLoss), cosface(CosFaceLoss)

    static let names = ["multi-similarity", "ntxent", "supcon", "circle", "margin",
                        "proxy-nca", "proxy-anchor", "normalized-softmax", "arcface", "cosface"]

    init(_ name: String, _ p: [String: ModernLossFixtures.JSONValue], context: ComputeContext = .serial) throws {
        switch name {
        case "multi-similarity": self = .multiSimilarity(MultiSimilarityLoss(try parameters(.init(), p), context: context))
        case "ntxent": self = .ntxent(NTXentLoss(try parameters(.init(), p), context: context))
        case "supcon": self = .supcon(SupConLoss(try parameters(.init(), p), context: context))
        case "circle": self = .circle(CircleLoss(try parameters(.init(), p), context: context))
        case "margin": self = .margin(MarginLoss(try parameters(.init(), p), context: context))
        case "proxy-nca": self = .proxyNCA(ProxyNCALoss(try parameters(.init(), p), context: context))
        case "proxy-anchor": self = .proxyAnchor(ProxyAnchorLoss(try parameters(.init(), p), context: context))
        case "normalized-softmax": self = .normalizedSoftmax(NormalizedSoftmaxLoss(try parameters(.init(), p), context: context))
        case "arcface": self = .arcface(ArcFaceLoss(try parameters(.init(), p), context: context))
        case "cosface": self = .cosface(CosFaceLoss(try parameters(.init(), p), context: context))
        default: throw LossError.invalidParameter("unknown loss \(name) in the fixture")
        }
    }

    var isProxy: Bool {
        switch self {
        case .proxyNCA, .proxyAnchor, .normalizedSoftmax, .arcface, .cosface: return true
        case .multiSimilarity, .ntxent, .supcon, .circle, .margin: return false
        }
    }

    mutating func evaluate(_ x: Matrix, _ y: [Int32], classIndex: [Int32] = [], weights: Matrix = Matrix(rows: 0, cols: 0),
                           pairs: PairIndices? = nil, triplets: TripletIndices? = nil) throws -> ModernOutput {
        var g = Matrix(rows: 0, cols: 0), w = Matrix(rows: 0, cols: 0)
        switch self {
        case .multiSimilarity(var l):
            defer { self = .multiSimilarity(l) }
            return ModernOutput(result: try l.evaluate(embeddings: x, labels: y, pairs: pairs, gradient: &g), gradient: g)
        case .ntxent(var l):
            defer { self = .ntxent(l) }
            return ModernOutput(result: try l.evaluate(embeddings: x, labels: y, pairs: pairs, gradient: &g), gradient: g)
        case .supcon(var l):
            defer { self = .supcon(l) }
            return ModernOutput(result: try l.evaluate(embeddings: x, labels: y, pairs: pairs, gradient: &g), gradient: g)
        case .circle(var l):
            defer { self = .circle(l) }
            return ModernOutput(result: try l.evaluate(embeddings: x, labels: y, pairs: pairs, gradient: &g), gradient: g)
        case .margin(var l):
            defer { self = .margin(l) }
            let r = try l.evaluate(embeddings: x, labels: y, triplets: triplets, gradient: &g)
            return ModernOutput(result: r, gradient: g, betaGradient: l.betaGradient)
        case .proxyNCA(var l):
            defer { self = .proxyNCA(l) }
            let r = try l.evaluate(embeddings: x, labels: y, classIndex: classIndex, weights: weights, gradient: &g, weightGradient: &w)
            return ModernOutput(result: r, gradient: g, weightGradient: w)
        case .proxyAnchor(var l):
            defer { self = .proxyAnchor(l) }
            let r = try l.evaluate(embeddings: x, labels: y, classIndex: classIndex, weights: weights, gradient: &g, weightGradient: &w)
            return ModernOutput(result: r, gradient: g, weightGradient: w)
        case .normalizedSoftmax(var l):
            defer { self = .normalizedSoftmax(l) }
            let r = try l.evaluate(embeddings: x, labels: y, classIndex: classIndex, weights: weights, gradient: &g, weightGradient: &w)
            return ModernOutput(result: r, gradient: g, weightGradient: w)
        case .arcface(var l):
            defer { self = .arcface(l) }
            let r = try l.evaluate(embeddings: x, labels: y, classIndex: classIndex, weights: weights, gradient: &g, weightGradient: &w)
            return ModernOutput(result: r, gradient: g, weightGradient: w)
        case .cosface(var l):
            defer { self = .cosface(l) }
            let r = try l.evaluate(embeddings: x, labels: y, classIndex: classIndex, weights: weights, gradient: &g, weightGradient: &w)
            return ModernOutput(result: r, gradient: g, weightGradient: w)
        }
    }
}

extension ModernLossFixtures.Case {
    var pairIndices: PairIndices? {
        guard let pairs else { return nil }
        var p = PairIndices()
        p.positiveAnchors = pairs[0]
        p.positives = pairs[1]
        p.negativeAnchors = pairs[2]
        p.negatives = pairs[3]
        return p
    }

    var tripletIndices: TripletIndices? {
        guard let triplets else { return nil }
        var t = TripletIndices()
        t.anchors = triplets[0]
        t.positives = triplets[1]
        t.negatives = triplets[2]
        return t
    }

    func evaluate() throws -> ModernOutput {
        var loss = try AnyModernLoss(self.loss, params)
        return try loss.evaluate(Matrix(embeddings), labels, classIndex: class_index ?? [],
                                 weights: weights.map { Matrix($0) } ?? Matrix(rows: 0, cols: 0),
                                 pairs: pairIndices, triplets: tripletIndices)
    }
}

/// The largest entry difference relative to the reference's largest entry
/// (absolute below 1e-12: float32 holds no gradient of 1e-50 that a
/// float64 reference may carry).
func relativeMatrixError(_ got: Matrix, _ expected: [[Double]]) -> Double {
    guard got.rows == expected.count, got.cols == (expected.first?.count ?? 0) else { return .infinity }
    var worst = 0.0, scale = 0.0
    for i in 0..<got.rows {
        for j in 0..<got.cols {
            worst = max(worst, abs(Double(got[i, j]) - expected[i][j]))
            scale = max(scale, abs(expected[i][j]))
        }
    }
    return worst / max(scale, 1e-12)
}

/// The relative error of a value (absolute below 1e-12, where the reference is 0).
func relativeValueError(_ got: Double, _ expected: Double) -> Double {
    abs(got - expected) / max(abs(expected), 1e-12)
}

@Test func fixturesCoverEveryModernLossAndTheEdgeCases() throws {
    let fixtures = try ModernLossFixtures.load()
    for name in AnyModernLoss.names {
        let cases = fixtures.cases.filter { $0.loss == name }
        #expect(cases.count >= 4, "\(name): \(cases.count) fixture cases")
        #expect(cases.contains { $0.name.contains("extreme scale") }, "\(name): no large-scale / small-temperature case")
        #expect(cases.contains { $0.name.contains("random batch") }, "\(name): no random batch")
    }
    #expect(fixtures.cases.contains { $0.loss == "multi-similarity" && $0.pairs != nil })
    #expect(fixtures.cases.contains { $0.name.contains("no positive pair") && $0.f64.value == 0 })
}

@Test(arguments: AnyModernLoss.names)
func modernLossMatchesPytorchMetricLearning(_ name: String) throws {
    let fixtures = try ModernLossFixtures.load()
    var worstValue = 0.0, worstGradient = 0.0, worstWeightGradient = 0.0
    for c in fixtures.cases where c.loss == name {
        let out = try c.evaluate()
        let expected = c.expected
        // A float32 reference (see the generator) carries float32's own rounding.
        let valueTolerance = c.reference == "f32" ? 1e-4 : 1e-5, gradientTolerance = c.reference == "f32" ? 1e-3 : 1e-4
        let valueError = relativeValueError(out.result.loss, expected.value)
        let gradientError = relativeMatrixError(out.gradient, try #require(expected.grad))
        #expect(valueError <= valueTolerance, "\(c.name): loss \(out.result.loss), PML \(expected.value)")
        #expect(gradientError <= gradientTolerance, "\(c.name): gradient relative error \(gradientError)")
        // The summary is over the float64 references (the float32 ones carry float32's own error).
        if c.reference == "f64" {
            worstValue = max(worstValue, valueError)
            worstGradient = max(worstGradient, gradientError)
        }
        if let w = expected.weight_grad {
            let weightError = relativeMatrixError(try #require(out.weightGradient), w)
            #expect(weightError <= gradientTolerance, "\(c.name): weight gradient relative error \(weightError)")
            if c.reference == "f64" { worstWeightGradient = max(worstWeightGradient, weightError) }
        }
        if let beta = expected.beta_grad {
            let betaError = relativeValueError(try #require(out.betaGradient), beta)
            #expect(betaError <= gradientTolerance, "\(c.name): dL/dbeta \(out.betaGradient ?? .nan), PML \(beta)")
            worstGradient = max(worstGradient, betaError)
        }
    }
    print("PML agreement (float64 references) \(name): value \(worstValue), gradient \(worstGradient), weight gradient \(worstWeightGradient)")
}

@Test func multiSimilarityMinerSelectsThePairsPytorchMetricLearningSelects() throws {
    let fixtures = try ModernLossFixtures.load()
    let mined = fixtures.cases.filter { $0.loss == "multi-similarity" && $0.pairs != nil }
    #expect(mined.count == 3)
    for c in mined {
        var epsilon = 0.1
        if case .number(let e)? = c.miner_params?["epsilon"] { epsilon = e }
        var miner = MultiSimilarityMiner(.init(epsilon: epsilon))
        var pairs = PairIndices()
        miner.mine(embeddings: Matrix(c.embeddings), labels: c.labels, into: &pairs)
        let expected = try #require(c.pairIndices)
        func set(_ a: [Int32], _ b: [Int32]) -> Set<[Int32]> { Set(zip(a, b).map { [$0, $1] }) }
        #expect(set(pairs.positiveAnchors, pairs.positives) == set(expected.positiveAnchors, expected.positives), "\(c.name)")
        #expect(set(pairs.negativeAnchors, pairs.negatives) == set(expected.negativeAnchors, expected.negatives), "\(c.name)")
        #expect(pairs.count == expected.count, "\(c.name): a pair listed twice")
    }
}

@Test func evaluatingAModernLossTwiceGivesTheSameResult() throws {
    let fixtures = try ModernLossFixtures.load()
    for c in fixtures.cases where c.name.hasSuffix("defaults") {
        var loss = try AnyModernLoss(c.loss, c.params)
        let x = Matrix(c.embeddings), w = c.weights.map { Matrix($0) } ?? Matrix(rows: 0, cols: 0)
        let first = try loss.evaluate(x, c.labels, classIndex: c.class_index ?? [], weights: w)
        let second = try loss.evaluate(x, c.labels, classIndex: c.class_index ?? [], weights: w)
        #expect(first.result == second.result, "\(c.name)")
        #expect(first.gradient == second.gradient, "\(c.name)")
        #expect(first.weightGradient == second.weightGradient, "\(c.name)")
    }
}
