import Foundation
import MetricLearning
import NumericCore

/// The draw of one `tpe` trial from the finished trials before it: the tree-structured Parzen
/// estimator of Bergstra et al. (NeurIPS 2011), independent per setting, as hyperopt's and optuna's defaults.
///
/// The finished trials are ranked by score (higher is better; ties to the lower trial index); the
/// best ⌈γ n⌉ (γ = 0.25, at least one) are *good*, the rest *bad* — a trial that diverged on a fold has no
/// score and is bad. Per setting, in its search coordinate x (log v for `log_uniform`, v for `uniform`,
/// the integer for `int_uniform` over [lo − ½, hi + ½], the index for `choice`), l(x) is a density
/// over the good trials' values and g(x) over the bad ones':
///
///     numeric, k values x_i in [a, b]:  p(x) = (U(x; a, b) + Σ_i N_[a,b](x; x_i, σ_i)) / (k + 1)
///     choice, C values, k observed:     p(c) = (count_c + 1) / (k + C)
///
/// N_[a,b] is a Gaussian truncated to the range, and σ_i the larger distance from x_i to its
/// neighbours among the sorted values, the range ends counting as neighbours, clipped to
/// [(b − a) / min(100, k + 1), b − a] (optuna's rule); the uniform prior is one more component, so
/// neither density vanishes anywhere in the range. `candidates` points are drawn from l, each
/// setting independently, and the one with the largest Σ_settings log l(x) − log g(x) wins (ties to
/// the first drawn). Reals are rounded to 4 significant digits before they are scored, as `random`
/// rounds its draws, so the winner is exactly the value a trial trains with.
///
/// Pure: the same history (in trial order) and generator give the same draw, bit for bit.
///
/// - Complexity: O(candidates × settings × n) kernel evaluations.
public enum TreeParzenEstimator {
    /// One finished trial: its values (in the order of the search's settings) and its score,
    /// signed so that higher is better (nil: diverged on some fold).
    public struct Observation: Sendable {
        public var trial: Int
        public var values: [AxisValue]
        public var score: Double?

        public init(trial: Int, values: [AxisValue], score: Double?) {
            self.trial = trial
            self.values = values
            self.score = score
        }
    }

    /// The fraction of finished trials that form l(x).
    public static let gamma = 0.25
    /// Points drawn from l(x) per trial.
    public static let candidates = 24

    /// The values of the next trial over `space`, given the finished trials `history`; with
    /// `multivariate`, from the joint densities of `_JointDensity` instead of one per setting.
    public static func draw(space: [TuneDistribution], history: [Observation], multivariate: Bool = false,
                            rng: inout SplitMix64) -> [AxisValue] {
        precondition(!history.isEmpty, "TPE draws after the random start-up trials")
        precondition(history.allSatisfy { $0.values.count == space.count })
        let ranked = history.sorted { a, b in
            switch (a.score, b.score) {
            case let (x?, y?): return x != y ? x > y : a.trial < b.trial
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.trial < b.trial
            }
        }
        let goodCount = max(1, Int((gamma * Double(ranked.count)).rounded(.up)))
        let good = ranked.prefix(goodCount), bad = ranked.dropFirst(goodCount)
        // One candidate and its log l(x) − log g(x), from the joint densities or from one per setting.
        let propose: (inout SplitMix64) -> (values: [AxisValue], score: Double)
        if multivariate {
            let l = _JointDensity(space, good.map(\.values)), g = _JointDensity(space, bad.map(\.values))
            propose = { rng in
                let values = l.sample(space, &rng)
                return (values, l.logDensity(space, values) - g.logDensity(space, values))
            }
        } else {
            let densities = space.indices.map { p in
                (l: _Density(space[p], good.map { $0.values[p] }), g: _Density(space[p], bad.map { $0.values[p] }))
            }
            propose = { rng in
                var values: [AxisValue] = []
                var score = 0.0
                for (p, d) in densities.enumerated() {
                    let v = d.l.sample(space[p], &rng)
                    values.append(v)
                    score += d.l.logDensity(space[p], v) - d.g.logDensity(space[p], v)
                }
                return (values, score)
            }
        }
        var best: [AxisValue] = []
        var bestScore = -Double.infinity
        for _ in 0..<candidates {
            let (values, score) = propose(&rng)
            if best.isEmpty || score > bestScore {
                best = values
                bestScore = score
            }
        }
        return best
    }
}

/// One Parzen density of one setting (see `TreeParzenEstimator`): Gaussian kernels plus the uniform
/// prior over a numeric range, or smoothed frequencies over a choice's values.
struct _Density {
    /// Numeric: the kernels (centre, width) in ascending order of centre, and the range [a, b].
    var kernels: [(mu: Double, sigma: Double)] = []
    var low = 0.0, high = 1.0
    /// Choice: the weight of each value.
    var weights: [Double] = []

    init(_ distribution: TuneDistribution, _ observed: [AxisValue]) {
        if case .choice(let values) = distribution {
            var counts = Array(repeating: 1.0, count: values.count)
            for v in observed { if let i = Self.index(of: v, in: values) { counts[i] += 1 } }
            let total = counts.reduce(0, +)
            weights = counts.map { $0 / total }
            return
        }
        (low, high) = Self.range(distribution)
        // Stable order (value, then observation order): equal centres keep one summation order.
        let xs = observed.compactMap { Self.coordinate(distribution, $0) }.enumerated()
            .sorted { $0.element != $1.element ? $0.element < $1.element : $0.offset < $1.offset }.map(\.element)
        let width = high - low
        let narrowest = width / Double(min(100, xs.count + 1))
        kernels = xs.indices.map { i in
            let left = i > 0 ? xs[i - 1] : low, right = i + 1 < xs.count ? xs[i + 1] : high
            return (xs[i], min(width, max(narrowest, max(xs[i] - left, right - xs[i]))))
        }
    }

    /// A value of the setting drawn from this density (a choice's value, or a rounded number).
    func sample(_ distribution: TuneDistribution, _ rng: inout SplitMix64) -> AxisValue {
        if case .choice(let values) = distribution {
            let u = rng.nextUniform()
            var cumulative = 0.0
            for (i, w) in weights.enumerated() {
                cumulative += w
                if u < cumulative { return values[i] }
            }
            return values[values.count - 1]
        }
        let k = rng.nextInt(below: kernels.count + 1)
        var x: Double
        if k == kernels.count {
            x = low + rng.nextUniform() * (high - low)
        } else {
            // Rejection from the untruncated Gaussian: σ ≤ b − a and μ in [a, b] accept at least a third of draws.
            repeat { x = kernels[k].mu + kernels[k].sigma * rng.nextNormal() } while x < low || x > high
        }
        return Self.value(distribution, x)
    }

    /// log p(v).
    func logDensity(_ distribution: TuneDistribution, _ v: AxisValue) -> Double {
        if case .choice(let values) = distribution {
            return log(Self.index(of: v, in: values).map { weights[$0] } ?? .leastNormalMagnitude)
        }
        guard let x = Self.coordinate(distribution, v) else { return -.infinity }
        var sum = x >= low && x <= high ? 1 / (high - low) : 0
        for (mu, sigma) in kernels {
            let z = (x - mu) / sigma
            let mass = Self.normalCDF((high - mu) / sigma) - Self.normalCDF((low - mu) / sigma)
            sum += exp(-0.5 * z * z) / (sigma * (2 * Double.pi).squareRoot() * mass)
        }
        return log(sum / Double(kernels.count + 1))
    }

    static func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// The search coordinate's range: [log lo, log hi], [lo, hi], or [lo − ½, hi + ½] for whole numbers.
    static func range(_ distribution: TuneDistribution) -> (Double, Double) {
        switch distribution {
        case .logUniform(let lo, let hi): return (log(lo), log(hi))
        case .uniform(let lo, let hi): return (lo, hi)
        case .intUniform(let lo, let hi): return (Double(lo) - 0.5, Double(hi) + 0.5)
        case .choice(let values): return (0, Double(values.count))
        }
    }

    /// The search coordinate of a numeric value (nil for a value that is not a number).
    static func coordinate(_ distribution: TuneDistribution, _ v: AxisValue) -> Double? {
        guard let n = v.number else { return nil }
        switch distribution {
        case .logUniform: return n > 0 ? log(n) : nil
        case .uniform, .intUniform: return n
        case .choice: return nil
        }
    }

    /// The value at coordinate `x`: reals rounded to 4 significant digits as `random` draws them, whole numbers clamped to the range.
    static func value(_ distribution: TuneDistribution, _ x: Double) -> AxisValue {
        switch distribution {
        case .logUniform: return .double(TuningPlan.rounded(exp(x)))
        case .uniform: return .double(TuningPlan.rounded(x))
        case .intUniform(let lo, let hi): return .int(min(hi, max(lo, Int(x.rounded()))))
        case .choice(let values): return values[min(values.count - 1, max(0, Int(x)))]
        }
    }

    /// The index of `v` among a choice's values; a number matches by value (a record may read 1.0 back as 1).
    static func index(of v: AxisValue, in values: [AxisValue]) -> Int? {
        values.firstIndex(of: v) ?? v.number.flatMap { n in values.firstIndex { $0.number == n } }
    }
}

/// The joint Parzen density of all settings (`multivariate: true`; optuna's multivariate TPE): the
/// uniform prior over the whole space plus one product kernel per observed trial,
///
///     p(x) = (Π_p U_p(x_p) + Σ_i Π_p K_ip(x_p)) / (k + 1),
///
/// where for a numeric setting K_ip is a Gaussian at the trial's value truncated to the range
/// [a, b], with one width for every trial, σ_p = 0.2 (b − a) · max(k, 1)^(−1 / (d + 4)) (d settings,
/// optuna's rule) clipped to [(b − a) / min(100, k + 2), b − a]; and for a choice of C values
/// K_ip(c) = (1[c = c_i] + 1/C) / 2. A draw picks one of the k + 1 components uniformly and draws
/// every setting from it, so values that did well together are proposed together.
struct _JointDensity {
    /// Observed trials' values, one row per trial, in the space's order.
    var observed: [[AxisValue]]
    /// Per setting: the range of a numeric one and its kernel width (unused for a choice).
    var ranges: [(low: Double, high: Double, sigma: Double)]

    init(_ space: [TuneDistribution], _ observed: [[AxisValue]]) {
        self.observed = observed
        let k = observed.count, d = space.count
        ranges = space.map { distribution in
            let (low, high) = _Density.range(distribution)
            let width = high - low
            let scott = 0.2 * width * pow(Double(max(k, 1)), -1 / Double(d + 4))
            return (low, high, min(width, max(width / min(100, Double(k + 2)), scott)))
        }
    }

    func sample(_ space: [TuneDistribution], _ rng: inout SplitMix64) -> [AxisValue] {
        let component = rng.nextInt(below: observed.count + 1)
        return space.indices.map { p in
            let distribution = space[p]
            if case .choice(let values) = distribution {
                // The prior, or half the time the trial's own value and half a uniform one.
                if component < observed.count, rng.nextUniform() < 0.5,
                   let i = _Density.index(of: observed[component][p], in: values) {
                    return values[i]
                }
                return values[rng.nextInt(below: values.count)]
            }
            let (low, high, sigma) = ranges[p]
            guard component < observed.count, let mu = _Density.coordinate(distribution, observed[component][p]) else {
                return _Density.value(distribution, low + rng.nextUniform() * (high - low))
            }
            var x: Double
            repeat { x = mu + sigma * rng.nextNormal() } while x < low || x > high
            return _Density.value(distribution, x)
        }
    }

    /// log p(values).
    func logDensity(_ space: [TuneDistribution], _ values: [AxisValue]) -> Double {
        // Per component, the log of its product over the settings; then log of their mean.
        var prior = 0.0
        var kernels = [Double](repeating: 0, count: observed.count)
        for (p, distribution) in space.enumerated() {
            if case .choice(let choices) = distribution {
                let c = _Density.index(of: values[p], in: choices)
                let uniform = 1 / Double(choices.count)
                prior += c == nil ? -.infinity : log(uniform)
                for i in observed.indices {
                    let same = c != nil && c == _Density.index(of: observed[i][p], in: choices)
                    kernels[i] += c == nil ? -.infinity : log(((same ? 1 : 0) + uniform) / 2)
                }
                continue
            }
            let (low, high, sigma) = ranges[p]
            guard let x = _Density.coordinate(distribution, values[p]), x >= low, x <= high else { return -.infinity }
            prior += -log(high - low)
            for i in observed.indices {
                guard let mu = _Density.coordinate(distribution, observed[i][p]) else { kernels[i] = -.infinity; continue }
                let z = (x - mu) / sigma
                let mass = _Density.normalCDF((high - mu) / sigma) - _Density.normalCDF((low - mu) / sigma)
                kernels[i] += -0.5 * z * z - log(sigma * (2 * Double.pi).squareRoot() * mass)
            }
        }
        let terms = [prior] + kernels
        let top = terms.max()!
        guard top > -.infinity else { return -.infinity }
        return top + log(terms.reduce(0) { $0 + exp($1 - top) }) - log(Double(terms.count))
    }
}
