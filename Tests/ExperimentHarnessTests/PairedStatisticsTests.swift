import Foundation
import Testing
@testable import ExperimentHarness

@Test func holmAdjustsAgainstHandComputedValues() {
    // Sorted: 0.005 × 4 = 0.02, 0.01 × 3 = 0.03, 0.03 × 2 = 0.06, 0.04 × 1 = 0.04 → max(0.06, 0.04) = 0.06.
    let adjusted = Statistics.holm([0.01, 0.04, 0.03, 0.005])
    for (a, e) in zip(adjusted, [0.03, 0.06, 0.06, 0.02]) { #expect(abs(a - e) < 1e-12) }
    // Capped at 1, and one p-value is its own adjustment.
    #expect(Statistics.holm([0.6, 0.9]) == [1, 1])
    #expect(Statistics.holm([0.2]) == [0.2])
    #expect(Statistics.holm([]) == [])
}

@Test func pairedTTestEffectSizeAndSuperiorityMatchHandComputedValues() throws {
    let a = [1.0, 2, 3, 4], b = [0.5, 1.4, 2.6, 3.2]
    // scipy.stats.ttest_rel(a, b): t = 6.73371050334488, p = 0.006687412378920118.
    let p = try #require(Statistics.pairedTPValue(a, b))
    #expect(abs(p - 0.006687412378920118) < 1e-9)
    // d_z = 0.575 / 0.170782...
    #expect(abs(try #require(Statistics.pairedCohensD(a, b)) - 3.36685525167244) < 1e-12)
    #expect(Statistics.probabilityOfSuperiority(a, b) == 1)
    #expect(Statistics.probabilityOfSuperiority([1, 2, 3, 4], [2, 2, 1, 5]) == 0.375)
    // Unpaired spread is large here, the paired differences are not: the paired test sees the shift.
    #expect(Statistics.welchPValue(a, b)! > 0.4)
    #expect(Statistics.pairedTPValue([1, 2], [1, 2]) == 1)
    #expect(Statistics.pairedTPValue([1], [0]) == nil)
}

@Test func bootstrapIntervalsAreDeterministicBySeedAndBracketTheMean() throws {
    let values = [0.61, 0.64, 0.58, 0.66, 0.60, 0.63, 0.59, 0.65]
    let first = try #require(Statistics.bootstrapCI(values, seed: 5))
    #expect(Statistics.bootstrapCI(values, seed: 5) == first)
    #expect(Statistics.bootstrapCI(values, seed: 6) != first)
    let mean = values.reduce(0, +) / Double(values.count)
    #expect(first.contains(mean))
    #expect(first.lowerBound >= values.min()! && first.upperBound <= values.max()!)
    // About as wide as the t interval for this near-normal sample (within 40%).
    let t = try #require(SampleSummary(values)?.ci95)
    #expect(abs((first.upperBound - first.lowerBound) / 2 - t) < 0.4 * t)
    #expect(Statistics.bootstrapCI([0.5, 0.5, 0.5], seed: 1) == 0.5...0.5)
    #expect(Statistics.bootstrapCI([], seed: 1) == nil)
}

@Test func checkUsesTheBaselineConfidenceIntervalWhenNoToleranceIsGiven() throws {
    let header = "variant_id,runs,ok,diverged,failed,recall@1_mean,recall@1_std,recall@1_ci95,recall@1_n"
    func csv(_ mean: Double, _ ci: String) -> String { "\(header)\nv1,3,3,0,0,\(mean),0.02,\(ci),3\n" }
    let baseline = csv(0.80, "0.05")
    // A drop of 0.03 is inside the measured variation (0.05); 0.06 is outside.
    #expect(try RegressionCheck.compare(current: csv(0.77, "0.05"), baseline: baseline, tolerance: nil, baselinePath: "b.csv").regressions.isEmpty)
    #expect(try RegressionCheck.compare(current: csv(0.74, "0.05"), baseline: baseline, tolerance: nil, baselinePath: "b.csv").regressions.count == 1)
    // A fixed tolerance still overrides it.
    #expect(try RegressionCheck.compare(current: csv(0.77, "0.05"), baseline: baseline, tolerance: 0.01, baselinePath: "b.csv").regressions.count == 1)
    // One seed: no interval, the fallback tolerance.
    let one = csv(0.80, "")
    #expect(try RegressionCheck.compare(current: csv(0.79, ""), baseline: one, tolerance: nil, baselinePath: "b.csv").regressions.isEmpty)
    #expect(try RegressionCheck.compare(current: csv(0.77, ""), baseline: one, tolerance: nil, baselinePath: "b.csv").regressions.count == 1)
}
