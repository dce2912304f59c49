import Foundation

/// Whether two results folders hold the same numbers: per variant and metric,
/// the two means, their difference, and whether it exceeds the seed noise.
///
/// Seed noise is judged from what `summary.csv` keeps of each mean (mean,
/// sample std, n over the seeds that finished): Welch's t-test gives each
/// moved mean a p-value, and a mean moved *beyond noise* when the
/// Benjamini–Hochberg procedure at q = 0.05 over every compared mean rejects
/// it. With seed noise alone, the chance that any mean is called beyond noise
/// is then at most 5%, however many means are compared; a shift shared by many
/// means is still caught even when each one alone is small. A moved mean with
/// no spread to test against (one seed, or every seed equal on both sides) is
/// beyond noise. The reports show each move against the larger of the two 95%
/// CI half-widths for scale. (The larger-CI rule alone would call 2% of means
/// moved by seed noise beyond it at 3 seeds, 9% at 10: a 350-mean table
/// re-drawn by a numerically neutral change would always look different.)
///
/// The verdict:
///
/// * **bit-identical** — every cell of both `summary.csv` files agrees and, when
///   both folders keep run records, every run's status and metrics are equal to
///   the last bit;
/// * **within noise** — some means moved, none beyond noise, and every
///   variant has the same runs, ok, diverged and failed counts;
/// * **different** — a mean moved beyond noise, a variant or metric exists
///   in only one folder, or the counts of ok / diverged / failed runs differ.
///
/// A pure function of the two folders' summary data (and run values); `load`
/// does the reading.
public struct ResultComparison: Sendable {
    public enum Verdict: String, Codable, Sendable {
        case bitIdentical = "bit-identical"
        case withinNoise = "within-noise"
        case different
    }

    public enum Change: String, Codable, Sendable {
        case identical
        case withinNoise = "within-noise"
        case beyondNoise = "beyond-noise"
        /// The variant or the metric's mean is in one folder only.
        case missing
    }

    /// One metric of one variant in both folders.
    public struct Row: Sendable, Equatable {
        public var variantID: String
        /// The variant's axis values that vary in the folder, e.g. `triplet / semihard / 128 / 64`.
        public var label: String
        public var metric: String
        public var a: SummaryTable.Stats?
        public var b: SummaryTable.Stats?
        /// b − a.
        public var delta: Double?
        /// max(ci95 of a, ci95 of b), the scale a move is shown against; 0 when neither has an interval.
        public var noise: Double?
        /// Welch's two-sided p-value for equal means (0 when a moved mean has no spread to test against).
        public var p: Double?
        public var change: Change
    }

    /// A variant whose runs, ok, diverged or failed counts differ between the folders.
    public struct CountChange: Sendable, Equatable {
        public var variantID: String
        public var label: String
        /// runs, ok, diverged, failed.
        public var a: [Int]
        public var b: [Int]
    }

    /// The run values a folder's records hold: status and metrics by run key.
    public struct RunValues: Sendable, Equatable {
        public var status: String
        public var metrics: [String: Double]

        public init(status: String, metrics: [String: Double]) {
            self.status = status
            self.metrics = metrics
        }
    }

    /// Every compared (variant, metric), in the order of folder A's summary (then B's extra variants).
    public var rows: [Row]
    public var countChanges: [CountChange]
    /// The axis names of the labels, e.g. `loss / mining / batch_size / embedding_dim`.
    public var labelAxes: [String]
    /// Runs whose recorded status or metrics differ (nil: not both folders keep records).
    public var runsDiffering: [String]?
    /// Runs compared value by value (0 when the records were not compared).
    public var runsCompared: Int
    public var verdict: Verdict

    /// The false discovery rate of the Benjamini–Hochberg step over the compared means.
    public static let falseDiscoveryRate = 0.05

    public var moved: [Row] { rows.filter { $0.change == .withinNoise || $0.change == .beyondNoise } }
    public var beyondNoise: [Row] { rows.filter { $0.change == .beyondNoise } }
    public var missing: [Row] { rows.filter { $0.change == .missing } }

    /// Compares folder A with folder B.
    ///
    /// - Parameters:
    ///   - metrics: only these metrics (nil: every metric of either summary).
    ///   - runsA, runsB: the folders' run values by run key; compared only when both are given.
    public static func compare(_ a: SummaryTable, _ b: SummaryTable, metrics only: [String]? = nil,
                               runsA: [String: RunValues]? = nil, runsB: [String: RunValues]? = nil) -> ResultComparison {
        let metrics = only ?? (a.metrics + b.metrics.filter { !a.metrics.contains($0) })
        let bRows = Dictionary(b.rows.map { ($0.variantID, $0) }, uniquingKeysWith: { first, _ in first })
        let aIDs = Set(a.rows.map(\.variantID))
        let ordered: [(SummaryTable.Row?, SummaryTable.Row?)] =
            a.rows.map { ($0, bRows[$0.variantID]) } + b.rows.filter { !aIDs.contains($0.variantID) }.map { (nil, $0) }
        let labelAxes = varyingAxes(a.rows + b.rows)

        var rows: [Row] = []
        var countChanges: [CountChange] = []
        for (ra, rb) in ordered {
            let any = (ra ?? rb)!
            let label = labelAxes.map { name in any.axes.first { $0.name == name }?.value ?? "–" }.joined(separator: " / ")
            if let ra, let rb, ra.counts != rb.counts {
                countChanges.append(CountChange(variantID: any.variantID, label: label, a: ra.counts, b: rb.counts))
            }
            for metric in metrics {
                let sa = ra?.metrics[metric], sb = rb?.metrics[metric]
                rows.append(row(any.variantID, label, metric, sa, sb))
            }
        }

        // Every mean present on both sides counts towards m, the identical ones with p = 1.
        let tested = rows.indices.filter { rows[$0].p != nil }
        for k in benjaminiHochberg(tested.map { rows[$0].p! }, q: falseDiscoveryRate) where rows[tested[k]].change == .withinNoise {
            rows[tested[k]].change = .beyondNoise
        }

        var runsDiffering: [String]?
        var runsCompared = 0
        if let runsA, let runsB {
            let keys = Set(runsA.keys).union(runsB.keys).sorted()
            runsCompared = keys.count
            runsDiffering = keys.filter { key in
                guard let x = runsA[key], let y = runsB[key] else { return true }
                guard let only else { return x != y }
                return x.status != y.status || only.contains { x.metrics[$0] != y.metrics[$0] }
            }
        }

        let verdict: Verdict
        if rows.contains(where: { $0.change == .missing || $0.change == .beyondNoise }) || !countChanges.isEmpty {
            verdict = .different
        } else if rows.contains(where: { $0.change == .withinNoise }) || !(runsDiffering ?? []).isEmpty {
            verdict = .withinNoise
        } else {
            verdict = .bitIdentical
        }
        return ResultComparison(rows: rows, countChanges: countChanges, labelAxes: labelAxes,
                                runsDiffering: runsDiffering, runsCompared: runsCompared, verdict: verdict)
    }

    static func row(_ id: String, _ label: String, _ metric: String, _ a: SummaryTable.Stats?, _ b: SummaryTable.Stats?) -> Row {
        var r = Row(variantID: id, label: label, metric: metric, a: a, b: b, delta: nil, noise: nil, p: nil, change: .missing)
        guard let a, let b else { return r }
        r.noise = max(a.ci95 ?? 0, b.ci95 ?? 0)
        if a == b {
            r.change = .identical
            if a.mean != nil { r.delta = 0; r.p = 1 }
            return r
        }
        guard let ma = a.mean, let mb = b.mean else { return r }
        r.delta = mb - ma
        r.p = welchPValue(a, b)
        // Provisional: `compare` decides beyond noise over all rows at once (Benjamini–Hochberg).
        r.change = .withinNoise
        return r
    }

    /// Welch's two-sided p-value for the means of `a` and `b` from their std and n; 0 when there is no spread to test
    /// against (n < 2 on a side, or both stds 0) and the means differ; 1 when they are equal.
    static func welchPValue(_ a: SummaryTable.Stats, _ b: SummaryTable.Stats) -> Double {
        guard let ma = a.mean, let mb = b.mean else { return 1 }
        if ma == mb { return 1 }
        guard a.n >= 2, b.n >= 2, let sa = a.std, let sb = b.std else { return 0 }
        let va = sa * sa / Double(a.n), vb = sb * sb / Double(b.n)
        guard va + vb > 0 else { return 0 }
        let t = (mb - ma) / (va + vb).squareRoot()
        let df = (va + vb) * (va + vb) / (va * va / Double(a.n - 1) + vb * vb / Double(b.n - 1))
        return Statistics.twoSidedTailProbability(t: t, df: df)
    }

    /// The indices of `pValues` the Benjamini–Hochberg step-up procedure rejects at false discovery rate `q`:
    /// with the m p-values sorted, the largest k with p₍ₖ₎ ≤ k·q/m, and every p-value up to p₍ₖ₎.
    static func benjaminiHochberg(_ pValues: [Double], q: Double) -> Set<Int> {
        let m = pValues.count
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var cut = -1
        for (k, i) in order.enumerated() where pValues[i] <= Double(k + 1) * q / Double(m) { cut = k }
        return cut < 0 ? [] : Set(order[0...cut])
    }

    /// The axis columns whose value differs between some variants (all of them when none differs).
    static func varyingAxes(_ rows: [SummaryTable.Row]) -> [String] {
        guard let first = rows.first else { return [] }
        let names = first.axes.map(\.name)
        let varying = names.filter { name in Set(rows.map { r in r.axes.first { $0.name == name }?.value ?? "" }).count > 1 }
        return varying.isEmpty ? names : varying
    }
}
