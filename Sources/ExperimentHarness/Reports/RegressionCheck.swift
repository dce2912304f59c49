import Foundation
import SwiftCSV

/// Compares the metric means of a results folder with a baseline `summary.csv`.
///
/// A metric regresses when its mean drops below the baseline's by more than
/// the tolerance: a fixed absolute `tolerance` when given, else the measured
/// seed variation — the half-width of the baseline mean's 95% confidence
/// interval (Student t over its seeds), or `fallbackTolerance` for a baseline
/// mean of one seed, which has no interval. A variant or metric that the baseline has and the
/// results lack is a failure too (a guard that silently checks nothing is worse than none).
///
/// Both files are read strictly, because a row the check skips is a
/// regression it cannot report: a row with the wrong number of fields, a
/// mean that is not a finite number, a duplicated column or a duplicated
/// variant is an error naming the file and line.
public enum RegressionCheck {
    public struct Finding: Equatable, Sendable {
        public var variantID: String
        public var metric: String
        public var baseline: Double
        /// nil when the current results lack the value.
        public var current: Double?
    }

    /// The tolerance of a baseline mean without a confidence interval (one seed) when none is given.
    public static let fallbackTolerance = 0.02

    public struct Outcome: Sendable {
        public var compared: Int
        public var regressions: [Finding]
        public var improvements: [Finding]
    }

    public static func compare(
        current: String, baseline: String, tolerance fixed: Double?, baselinePath: String, currentPath: String = "summary.csv"
    ) throws -> Outcome {
        if let tolerance = fixed, !(tolerance.isFinite && tolerance >= 0) {
            throw SpecError(file: "--tolerance", line: nil, key: "", message: "must be a finite number ≥ 0, got \(tolerance)")
        }
        let base = try SummaryTable(csv: baseline, path: baselinePath)
        let cur = try SummaryTable(csv: current, path: currentPath)
        var out = Outcome(compared: 0, regressions: [], improvements: [])
        for row in base.rows {
            for metric in base.metrics.sorted() {
                // An empty mean is a variant without finished runs in the baseline: nothing to hold the results to.
                guard let stats = row.metrics[metric], let b = stats.mean else { continue }
                let tolerance = fixed ?? stats.ci95 ?? fallbackTolerance
                out.compared += 1
                guard let c = cur.row(row.variantID)?.metrics[metric]?.mean else {
                    out.regressions.append(Finding(variantID: row.variantID, metric: metric, baseline: b, current: nil))
                    continue
                }
                if c < b - tolerance { out.regressions.append(Finding(variantID: row.variantID, metric: metric, baseline: b, current: c)) }
                if c > b + tolerance { out.improvements.append(Finding(variantID: row.variantID, metric: metric, baseline: b, current: c)) }
            }
        }
        return out
    }
}
