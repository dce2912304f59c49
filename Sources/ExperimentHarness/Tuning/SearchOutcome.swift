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
        let metric = tune.metric
        // Scores are compared as "higher is better".
        let sign = metric.higherIsBetter ? 1.0 : -1.0
        return searches.map { search in
            var out = SearchOutcome(search: search, rungs: [], chosen: nil, complete: false)
            var trials = Array(0..<tune.trials)
            for (r, rung) in rungs.enumerated() {
                trials = Array(trials.prefix(rung.trials))
                var scores: [TrialScore] = []
                for t in trials {
                    var folds: [Double?] = []
                    for f in 0..<tune.folds {
                        let key = trialID(search, trial: t, rung: r, fold: f) + "-s\(trialSeed)"
                        guard let record = records[key] else { folds.append(nil); continue }
                        if record.status != .failed {
                            out.trainedRuns += 1
                            out.samplesTrained += record.samplesPerSecond * record.trainSeconds
                            out.wallSeconds += record.trainSeconds + record.evalSeconds
                        }
                        folds.append(record.status == .ok ? record.metrics[metric.name] : nil)
                    }
                    scores.append(TrialScore(trial: t, rung: r, folds: folds))
                }
                out.rungs.append(scores)
                let rungComplete = trials.allSatisfy { t in
                    (0..<tune.folds).allSatisfy { f in
                        records[trialID(search, trial: t, rung: r, fold: f) + "-s\(trialSeed)"].map { $0.status != .failed } ?? false
                    }
                }
                guard rungComplete else { return out }
                // Best first; unscored (diverged) trials last; ties to the lower trial index.
                let ranked = scores.sorted { a, b in
                    switch (a.mean.map { $0 * sign }, b.mean.map { $0 * sign }) {
                    case let (x?, y?): return x != y ? x > y : a.trial < b.trial
                    case (.some, nil): return true
                    case (nil, .some): return false
                    case (nil, nil): return a.trial < b.trial
                    }
                }
                trials = ranked.map(\.trial)
                if r == rungs.count - 1 {
                    out.complete = true
                    out.chosen = ranked.first
                }
            }
            return out
        }
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
