import Foundation
import Testing
@testable import MetricLearning

/// The cases of `Fixtures/losses.json`: PyTorch autograd of the DESIGN
/// formulas in float64, and pytorch-metric-learning 2.9 where named.
struct LossFixtures: Decodable {
    struct Arguments: Decodable {
        var loss: String
        var mining: String
        var power: Int?
        var reducer: String?
        var pos_margin: Double?
        var neg_margin: Double?
        var margin: Double?
        var distance: String?
    }

    struct Case: Decodable {
        var name: String
        var args: Arguments
        var loss: Double
        var grad: [[Float]]
    }

    var embeddings: [[Float]]
    var labels: [Int32]
    var cases: [Case]

    static func load() throws -> LossFixtures {
        let url = try #require(Bundle.module.url(forResource: "losses", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(LossFixtures.self, from: Data(contentsOf: url))
    }
}

extension LossConfiguration {
    init(fixture a: LossFixtures.Arguments) throws {
        self.init(
            loss: try #require(LossKind(rawValue: a.loss)),
            mining: try #require(MiningKind(rawValue: a.mining)),
            margin: a.margin, posMargin: a.pos_margin, negMargin: a.neg_margin, power: a.power,
            distance: try a.distance.map { try #require(DistanceKind(rawValue: $0)) },
            reducer: try a.reducer.map { try #require(ReducerKind(rawValue: $0)) })
    }
}

@Test func everyFixtureCaseMatchesLossAndGradient() throws {
    let fixtures = try LossFixtures.load()
    let x = Matrix(fixtures.embeddings)
    #expect(fixtures.cases.count == 8)
    for c in fixtures.cases {
        var loss = try makeBatchLoss(LossConfiguration(fixture: c.args))
        var gradient = Matrix(rows: 0, cols: 0)
        let result = try loss.evaluate(embeddings: x, labels: fixtures.labels, gradient: &gradient)
        #expect(abs(result.loss - c.loss) <= 1e-5 * abs(c.loss), "\(c.name): loss \(result.loss), expected \(c.loss)")
        let expected = Matrix(c.grad)
        #expect(gradient.rows == expected.rows && gradient.cols == expected.cols, "\(c.name): gradient shape")
        var worst: Float = 0
        for k in 0..<expected.count { worst = max(worst, abs(gradient.storage[k] - expected.storage[k])) }
        #expect(worst <= 2e-5, "\(c.name): largest gradient difference \(worst)")
    }
}

@Test func evaluatingTwiceGivesTheSameResult() throws {
    let fixtures = try LossFixtures.load()
    let x = Matrix(fixtures.embeddings)
    for c in fixtures.cases {
        var loss = try makeBatchLoss(LossConfiguration(fixture: c.args))
        var first = Matrix(rows: 0, cols: 0), second = Matrix(rows: 0, cols: 0)
        let r1 = try loss.evaluate(embeddings: x, labels: fixtures.labels, gradient: &first)
        let r2 = try loss.evaluate(embeddings: x, labels: fixtures.labels, gradient: &second)
        #expect(r1 == r2, "\(c.name)")
        #expect(first == second, "\(c.name)")
    }
}
