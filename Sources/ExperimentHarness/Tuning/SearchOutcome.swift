import MetricLearning

/// What a variant's search did, read from the trial records: the scores, the choice and the ledger.
public struct SearchOutcome: Sendable {
    public var search: VariantSearch
    /// Scores by rung, each in trial order (the trials that reached the rung).
    public var rungs: [[TrialScore]]
    /// The chosen trial (best mean at the last rung; ties to the lower index); nil until the search is complete.
    public var chosen: TrialScore?
    /// Whether every trial run of every rung has a record.
    public var complete: Bool
    /// Ledger: trial runs recorded, samples they trained, their wall seconds (train + evaluation).
    public var trainedRuns = 0
    public var samplesTrained = 0.0
    public var wallSeconds = 0.0

    /// The variant the chosen trial defines: what the final runs train (its id includes the chosen values).
    public var chosenVariant: Variant? {
        guard let chosen else { return nil }
        let c = search.trials[chosen.trial].configuration
        return Variant(id: VariantID.of(c), configuration: c)
    }

    /// Best mean validation score after each trial of the first rung, in trial order (search progress).
    public func bestSoFar(higherIsBetter: Bool) -> [Double?] {
        var best: Double?
        return (rungs.first ?? []).map { s in
            if let m = s.mean, best.map({ higherIsBetter ? m > $0 : m < $0 }) ?? true { best = m }
            return best
        }
    }
}

extension TuningPlan {
    /// The outcome of every search from the trial records in `records` (by key).
    ///
    /// A rung's trials are the best of the previous rung's, so a rung is known
    /// only once the previous one is complete.
    public func outcomes(_ records: [String: RunRecord]) -> [SearchOutcome] {
        if tune.search == .tpe { return searches.map { tpeOutcome($0, records) } }
        return searches.map { search in
            var out = SearchOutcome(search: search, rungs: [], chosen: nil, complete: false)
            var trials = Array(0..<tune.trials)
            for (r, rung) in rungs.enumerated() {
                trials = Array(trials.prefix(rung.trials))
                let scores = trials.map { score(search, trial: $0, rung: r, records, ledger: &out) }
                out.rungs.append(scores)
                guard trials.allSatisfy({ isFinished(search, trial: $0, rung: r, records) }) else { return out }
                let ranked = self.ranked(scores)
                trials = ranked.map(\.trial)
                if r == rungs.count - 1 {
                    out.complete = true
                    out.chosen = ranked.first
                }
            }
            return out
        }
    }

    /// `tpe`'s outcome: wave by wave, each wave drawn (or read back from its records) once every
    /// trial before it is finished; the chosen trial is the best of all, as `random`'s.
    func tpeOutcome(_ search: VariantSearch, _ records: [String: RunRecord]) -> SearchOutcome {
        var out = SearchOutcome(search: search, rungs: [[]], chosen: nil, complete: false)
        let sign = tune.metric.higherIsBetter ? 1.0 : -1.0
        for (w, wave) in waves.enumerated() {
            if w > 0 {
                let history = out.rungs[0].map { s in
                    TreeParzenEstimator.Observation(trial: s.trial, values: out.search.trials[s.trial].values.map(\.1), score: s.mean.map { $0 * sign })
                }
                for t in wave { out.search.trials.append(tpeTrial(out.search, trial: t, history: history, records)) }
            }
            let drawn = out.search
            out.rungs[0] += wave.map { score(drawn, trial: $0, rung: 0, records, ledger: &out) }
            guard wave.allSatisfy({ isFinished(drawn, trial: $0, rung: 0, records) }) else { return out }
        }
        out.complete = true
        out.chosen = ranked(out.rungs[0]).first
        return out
    }

    /// Trial `t` of a `tpe` search: the values its records were trained with, when it has any (a
    /// resumed search never trains a trial at values other than its first folds'), else drawn from `history`.
    func tpeTrial(_ search: VariantSearch, trial t: Int, history: [TreeParzenEstimator.Observation], _ records: [String: RunRecord]) -> Trial {
        let recorded = (0..<tune.folds).lazy.compactMap { f in records[self.trialID(search, trial: t, rung: 0, fold: f) + "-s\(self.trialSeed)"] }.first
        var values: [AxisValue]
        if let recorded, case let read = search.space.compactMap({ $0.distribution.value(recorded.configuration.tunedValue($0.axis)) }),
           read.count == search.space.count {
            values = read
        } else {
            var rng = Self.tpeGenerator(seed: trialSeed, variantID: search.variant.id, trial: t)
            values = TreeParzenEstimator.draw(space: search.space.map(\.distribution), history: history,
                                               multivariate: tune.multivariate, rng: &rng)
        }
        var c = search.variant.configuration
        for (p, v) in zip(search.space, values) {
            // The plan checked that the loss takes every value of the ranges (`TuningPlan.init`).
            guard let set = try? c.setting(p.axis, v) else { preconditionFailure("\(p.axis) = \(v) was checked at plan time") }
            c = set
        }
        return Trial(index: t, values: zip(search.space, values).map { ($0.axis, $1) }, configuration: c)
    }

    /// The validation score of trial `t` at rung `r`, adding its recorded runs to the ledger of `out`.
    func score(_ search: VariantSearch, trial t: Int, rung r: Int, _ records: [String: RunRecord], ledger out: inout SearchOutcome) -> TrialScore {
        var folds: [Double?] = []
        for f in 0..<tune.folds {
            let key = trialID(search, trial: t, rung: r, fold: f) + "-s\(trialSeed)"
            guard let record = records[key] else { folds.append(nil); continue }
            if record.status != .failed {
                out.trainedRuns += 1
                out.samplesTrained += record.samplesPerSecond * record.trainSeconds
                out.wallSeconds += record.trainSeconds + record.evalSeconds
            }
            folds.append(record.status == .ok ? record.metrics[tune.metric.name] : nil)
        }
        return TrialScore(trial: t, rung: r, folds: folds)
    }

    /// Whether every fold of trial `t` at rung `r` has a record that did not fail (ok or diverged).
    func isFinished(_ search: VariantSearch, trial t: Int, rung r: Int, _ records: [String: RunRecord]) -> Bool {
        (0..<tune.folds).allSatisfy { f in
            records[trialID(search, trial: t, rung: r, fold: f) + "-s\(trialSeed)"].map { $0.status != .failed } ?? false
        }
    }

    /// Best first (scores compared as "higher is better"); unscored (diverged) trials last; ties to the lower trial index.
    func ranked(_ scores: [TrialScore]) -> [TrialScore] {
        let sign = tune.metric.higherIsBetter ? 1.0 : -1.0
        return scores.sorted { a, b in
            switch (a.mean.map { $0 * sign }, b.mean.map { $0 * sign }) {
            case let (x?, y?): return x != y ? x > y : a.trial < b.trial
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.trial < b.trial
            }
        }
    }

    /// The runs of stage `stage` that the records allow to be planned (see `stages`), and whether every search could be planned.
    public func runs(stage: Int, records: [String: RunRecord]) -> (runs: [PlannedRun], allPlanned: Bool) {
        guard tune.search == .tpe else { return runs(rung: stage, records: records) }
        var runs: [PlannedRun] = []
        var all = true
        for o in outcomes(records) {
            // A wave is drawn when every trial before it is finished (outcomes stops at the first unfinished wave).
            guard o.search.trials.count >= waves[stage].upperBound else { all = false; continue }
            runs += self.runs(o.search, trials: Array(waves[stage]), rung: 0)
        }
        return (runs, all)
    }

    /// The runs of rung `rung` that the records allow to be planned: for each search whose
    /// previous rung is complete, its surviving trials × folds; and whether every search could be planned.
    public func runs(rung: Int, records: [String: RunRecord]) -> (runs: [PlannedRun], allPlanned: Bool) {
        let outcomes = self.outcomes(records)
        var runs: [PlannedRun] = []
        var all = true
        for o in outcomes {
            if rung == 0 {
                runs += self.runs(o.search, trials: Array(0..<rungs[0].trials), rung: 0)
                continue
            }
            // The previous rung is complete when this rung has been scored (outcomes stops at the first incomplete rung).
            guard o.rungs.count > rung else { all = false; continue }
            runs += self.runs(o.search, trials: o.rungs[rung].map(\.trial), rung: rung)
        }
        return (runs, all)
    }

    /// The plan of the final runs: every variant whose search is complete, at its chosen configuration.
    public func finalPlan(_ outcomes: [SearchOutcome]) -> ExperimentPlan {
        var p = plan
        p.variants = outcomes.compactMap(\.chosenVariant)
        p.tunedIDs = Dictionary(outcomes.compactMap { o in o.chosenVariant.map { (o.search.variant.id, $0.id) } }, uniquingKeysWith: { a, _ in a })
        return p
    }
}
