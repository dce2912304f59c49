import Foundation
import MetricLearning
import NumericCore
import Testing
import Training
@testable import ExperimentHarness

/// A tuned spec on an npy dataset in `dir` (train classes 0..<12, test classes 12..<18).
private func npyTunedSpec(_ dir: String, search: String = "random") -> String {
    """
    name: tuned
    dataset: { name: npy, train_features: \(dir)/train-x.npy, train_labels: \(dir)/train-y.npy, test_features: \(dir)/test-x.npy, test_labels: \(dir)/test-y.npy }
    model: { kind: mlp, hidden: [16], normalize: true }
    train: { optimizer: adam, learning_rate: 0.003, epochs: 1, samples_per_class: 4 }
    seeds: [0, 1]
    base: { loss: triplet, mining: semihard, batch_size: 16, embedding_dim: 8 }
    sweeps:
      - { loss: [contrastive, triplet] }
    metrics: [recall@1, map@r]
    tune:
      metric: map@r
      folds: 3
      budget: { trials: 3 }
      search: \(search)
      space:
        learning_rate: { log_uniform: [1.0e-3, 1.0e-2] }
        margin: { uniform: [0.1, 1.0] }
    """
}

/// Gaussian clusters: `classes` labels from `first`, `perClass` rows each, `dim` features.
private func writeClusters(_ dir: String, prefix: String, first: Int32, classes: Int, perClass: Int, dim: Int, seed: UInt64,
                           permuteLabels: UInt64? = nil) throws {
    var rng = SplitMix64(seed: seed)
    var storage: [Float] = []
    var labels: [Int32] = []
    for c in 0..<classes {
        let centre = (0..<dim).map { _ in Float(rng.nextNormal()) }
        for _ in 0..<perClass {
            storage += centre.map { $0 + 0.8 * Float(rng.nextNormal()) }
            labels.append(first + Int32(c))
        }
    }
    if let s = permuteLabels {
        var p = SplitMix64(seed: s)
        p.shuffle(&labels)
    }
    try NPY.write(Matrix(rows: labels.count, cols: dim, storage: storage), to: "\(dir)/\(prefix)-x.npy")
    try NPY.write(labels: labels, to: "\(dir)/\(prefix)-y.npy")
}

@Test func foldsAreClassDisjointCoverEveryClassAndFollowTheSeed() throws {
    let classes = (0..<40).map(Int32.init)
    let folds = try ValidationFolds(classes: classes + classes, folds: 4, seed: 7)
    #expect(folds.classes.count == 4)
    #expect(folds.classes.allSatisfy { $0.count == 10 })
    #expect(folds.classes.flatMap { $0 }.sorted() == classes)
    for i in 0..<4 { for j in (i + 1)..<4 { #expect(Set(folds.classes[i]).isDisjoint(with: folds.classes[j])) } }
    #expect(try ValidationFolds(classes: classes, folds: 4, seed: 7) == folds)
    #expect(try ValidationFolds(classes: classes, folds: 4, seed: 8) != folds)
    // Uneven: 11 classes in 3 folds are 4, 4, 3.
    let uneven = try ValidationFolds(classes: (0..<11).map(Int32.init), folds: 3, seed: 0)
    #expect(uneven.classes.map(\.count) == [4, 4, 3])
}

@Test func tooFewClassesForTheFoldsNamesTheMinimumAndTheLargestFoldCount() throws {
    // Fashion-MNIST's 5 training classes: 4 folds need 8; 2 folds is the most.
    #expect(throws: TuningError.tooFewClasses(classes: 5, folds: 4)) {
        try ValidationFolds(classes: [0, 1, 2, 3, 4], folds: 4, seed: 0)
    }
    let message = "\(TuningError.tooFewClasses(classes: 5, folds: 4))"
    #expect(message.contains("at least 8 training classes"))
    #expect(message.contains("at most 2"))
    #expect(try ValidationFolds(classes: [0, 1, 2, 3, 4], folds: 2, seed: 0).classes.map(\.count) == [3, 2])
}

@Test func trainingClassesSplitHoldsOutExactlyTheFoldClasses() throws {
    let labels: [Int32] = [0, 0, 1, 1, 2, 2, 3, 3]
    let data = LabeledData(features: Matrix(rows: 8, cols: 1, storage: (0..<8).map(Float.init)), labels: labels)
    let classes = TrainingClasses(data: data, inputShape: InputShape(channels: 1, height: 1, width: 1))
    let folds = try ValidationFolds(classes: labels, folds: 2, seed: 3)
    let (train, validation) = classes.split(folds, fold: 0)
    #expect(validation.classes == folds.classes[0])
    #expect(Set(train.classes) == Set(labels).subtracting(folds.classes[0]))
    #expect(train.count + validation.count == 8)
    // Structural: the tuning code's data type has no field that could hold a test split.
    #expect(Mirror(reflecting: classes).children.compactMap(\.label) == ["data", "inputShape", "fingerprint"])
}

@Test func tuneSectionParsesEveryKeyOfTheInterface() throws {
    let spec = try SpecParser.load("experiments/fair-ci.yaml")
    let tune = try #require(spec.tune)
    #expect(tune.metric == .mapAtR)
    #expect(tune.folds == 4)
    #expect(tune.trials == 6)
    #expect(tune.search == .random)
    #expect(tune.space.map(\.axis.rawValue) == ["learning_rate", "margin", "temperature", "normalize"])
    #expect(tune.space[0].distribution == .logUniform(3.0e-4, 1.0e-2))
    #expect(tune.space[1].distribution == .uniform(0.05, 1.0))
    #expect(tune.space[3].distribution == .choice([.bool(true), .bool(false)]))
    // folds defaults to 4, search to random.
    let text = try String(contentsOfFile: "experiments/fair-ci.yaml", encoding: .utf8)
        .replacingOccurrences(of: "  folds: 4\n", with: "").replacingOccurrences(of: "  search: random\n", with: "")
    let defaults = try #require(try SpecParser.parse(text, file: "x.yaml").tune)
    #expect(defaults.folds == TuneSpec.defaultFolds && defaults.search == .random)
}

@Test(arguments: [
    ("  search: grid", "search", "unknown value 'grid'"),
    ("  budgett: { trials: 2 }", "budgett", "unknown key in 'tune' (did you mean 'budget'?)"),
    ("  space: { normalize: { uniform: [0, 1] } }", "normalize", "uniform does not fit 'normalize'"),
    ("  space: { learning_rate: { log_uniform: [0, 1] } }", "learning_rate", "log_uniform needs positive bounds"),
    ("  space: { learning_rate: { uniform: [0.1, 0.01] } }", "learning_rate", "needs low < high"),
    ("  space: { epochs: { int_uniform: [1, 3] } }", "epochs", "cannot be tuned"),
    ("  space: { loss: { choice: [triplet] } }", "loss", "cannot be tuned"),
    ("  space: { mining: { choice: [all] } }", "mining", "cannot be tuned"),
    ("  space: { learning_rate: { uniform: [0.1, 0.2], choice: [0.1] } }", "learning_rate", "give exactly one of"),
    ("  folds: 1", "folds", "must be at least 2"),
])
func badTuneSectionsAreErrorsNamingKeyAndLine(line: String, key: String, message: String) throws {
    var lines = """
        name: t
        dataset: { name: synthetic }
        sweeps:
          - { loss: [contrastive, triplet] }
        tune:
          metric: map@r
          budget: { trials: 2 }
          space: { margin: { uniform: [0.1, 1.0] } }
        """.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let replaced = ["search", "folds", "budgett"].contains(key) ? nil : lines.firstIndex { $0.hasPrefix("  space:") }
    if let replaced { lines[replaced] = line } else { lines.append(line) }
    let expectedLine = (replaced ?? lines.count - 1) + 1
    do {
        _ = try SpecParser.parse(lines.joined(separator: "\n"), file: "t.yaml")
        Issue.record("accepted: \(line)")
    } catch let e as SpecError {
        #expect(e.key == key)
        #expect(e.line == expectedLine, "\(e)")
        #expect(e.message.contains(message), "\(e)")
    }
}

@Test func aSettingBothSweptAndTunedIsAnError() throws {
    let text = """
        name: t
        dataset: { name: synthetic }
        sweeps:
          - { loss: [contrastive, triplet], margin: [0.1, 0.2] }
        tune: { metric: map@r, budget: { trials: 2 }, space: { margin: { uniform: [0.1, 1.0] } } }
        """
    #expect { try SpecParser.parse(text, file: "t.yaml") } throws: { e in
        (e as? SpecError)?.key == "margin" && "\(e)".contains("both swept and tuned")
    }
}

@Test func trialDrawsAreSeededPerVariantAndTrialAndLeaveOutParametersThatDoNotApply() throws {
    let plan = try ExperimentPlan(SpecParser.load("experiments/fair-ci.yaml"))
    let a = try TuningPlan(plan), b = try TuningPlan(plan)
    #expect(a.searches.count == 3)
    for (x, y) in zip(a.searches, b.searches) {
        #expect(x.trials.map { $0.values.map(\.1) } == y.trials.map { $0.values.map(\.1) })
        #expect(x.trials.map { VariantID.of($0.configuration) } == y.trials.map { VariantID.of($0.configuration) })
    }
    let byLoss = Dictionary(uniqueKeysWithValues: a.searches.map { ($0.variant.configuration.loss.loss.rawValue, $0) })
    #expect(byLoss["ntxent"]!.leftOut == [Axis.margin])
    #expect(byLoss["triplet"]!.leftOut == [Axis.parameter("temperature")])
    for search in a.searches {
        for trial in search.trials {
            let lr = trial.configuration.train.learningRate
            #expect(lr >= 3.0e-4 && lr <= 1.0e-2)
            if case .double(let m)? = trial.configuration.loss.parameters["margin"], search.space.contains(where: { $0.axis == .margin }) {
                #expect(m >= 0.05 && m <= 1.0)
                #expect(trial.values.contains { $0.0 == .margin && $0.1 == .double(m) })
            }
        }
        // Different trials draw differently; the learning rates of the 6 trials are distinct.
        #expect(Set(search.trials.map(\.configuration.train.learningRate)).count == search.trials.count)
    }
    // Different variants draw differently at the same trial index.
    #expect(byLoss["triplet"]!.trials[0].configuration.train.learningRate != byLoss["contrastive"]!.trials[0].configuration.train.learningRate)
    // Every trial run has a distinct key; a shard layout partitions them.
    let runs = a.searches.flatMap { a.runs($0, trials: Array(0..<6), rung: 0) }
    #expect(Set(runs.map(\.key)).count == 3 * 6 * 4)
    #expect(runs.allSatisfy { TuningPlan.fold(ofTrialID: $0.variant.id) < 4 })
}

@Test func halvingRungsShrinkByThreeAndEndAtTheSpecEpochs() {
    #expect(TuningPlan.rungs(search: .halving, trials: 24, epochs: 9) == [Rung(trials: 24, epochs: 1), Rung(trials: 8, epochs: 3), Rung(trials: 3, epochs: 9)])
    #expect(TuningPlan.rungs(search: .halving, trials: 24, epochs: 4) == [Rung(trials: 24, epochs: 1), Rung(trials: 8, epochs: 4)])
    #expect(TuningPlan.rungs(search: .halving, trials: 2, epochs: 9) == [Rung(trials: 2, epochs: 9)])
    #expect(TuningPlan.rungs(search: .random, trials: 24, epochs: 9) == [Rung(trials: 24, epochs: 9)])
}

/// Selection reads only training classes: permuting the test labels (and replacing the test
/// features) changes no trial record and no choice; only the final test runs differ.
@Test(arguments: ["random", "halving", "tpe"])
func selectionIsUnchangedWhenTheTestLabelsArePermuted(search: String) throws {
    // One folder (the dataset's paths are part of every id): the test files are rewritten between the two tunings.
    let data = temporaryDirectory()
    try writeClusters(data, prefix: "train", first: 0, classes: 12, perClass: 12, dim: 10, seed: 1)
    var text = npyTunedSpec(data, search: search)
    if search == "halving" { text = text.replacingOccurrences(of: "epochs: 1", with: "epochs: 3") }
    // tpe: 4 random start-up trials, then waves of trials 4–5 and 6, each drawn from the trials before it.
    if search == "tpe" { text = text.replacingOccurrences(of: "trials: 3", with: "trials: 7") }
    let plan = try ExperimentPlan(SpecParser.parse(text, file: "t.yaml"))
    var choices: [[String]] = []
    var trialMetrics: [[String: [String: Double]]] = []
    for permuted in [false, true] {
        try writeClusters(data, prefix: "test", first: 12, classes: 6, perClass: 12, dim: 10, seed: permuted ? 3 : 2,
                          permuteLabels: permuted ? 9 : nil)
        DatasetCache.shared.forget(plan.spec.dataset)
        let test = try loadDataset(plan.spec.dataset).test.labels
        #expect(permuted == (test != test.sorted()))
        let out = temporaryDirectory()
        var options = RunnerOptions()
        options.threads = 1
        let finals = FakeExecutor()
        let outcome = try Tuner.run(plan, directory: out, final: finals, options: options, log: quiet)
        #expect(outcome.complete)
        let report = try TuningReport.load(plan, directory: out)
        choices.append(report.outcomes.map { o in o.search.trials[o.chosen!.trial].values.map { "\($0.0)=\($0.1)" }.joined(separator: ",") })
        let records = try Tuner.trialStore(out, create: false).records().records
        #expect(records.allSatisfy { $0.status == .ok })
        trialMetrics.append(Dictionary(uniqueKeysWithValues: records.map { ($0.key, $0.metrics) }))
        // The final stage trains each chosen configuration with every seed.
        #expect(finals.calls.all.count == 2 * plan.spec.seeds.count)
        // Resuming finds every trial and final run done: nothing is trained twice.
        let again = FakeExecutor()
        let second = try Tuner.run(plan, directory: out, final: again, options: options, log: quiet)
        #expect(second.trials.alreadyDone == second.trials.selected && second.trials.ok == 0)
        #expect(again.calls.all.isEmpty)
    }
    #expect(choices[0] == choices[1])
    #expect(trialMetrics[0] == trialMetrics[1])
    #expect(trialMetrics[0].count == (search == "halving" ? 2 * 3 * 3 + 2 * 1 * 3 : search == "tpe" ? 2 * 7 * 3 : 2 * 3 * 3))
}

@Test func foldsTheTrainingClassesCannotFillAreASpecErrorNamingTheMinimum() throws {
    // Five training classes, as Fashion-MNIST: the default 4 folds need 8. (Line 11: the first key of tune:.)
    let data = temporaryDirectory()
    try writeClusters(data, prefix: "train", first: 0, classes: 5, perClass: 8, dim: 4, seed: 1)
    try writeClusters(data, prefix: "test", first: 5, classes: 5, perClass: 8, dim: 4, seed: 2)
    let text = npyTunedSpec(data).replacingOccurrences(of: "  folds: 3\n", with: "")
    let plan = try ExperimentPlan(SpecParser.parse(text, file: "five.yaml"))
    #expect { try Tuner.check(plan) } throws: { e in
        guard let e = e as? SpecError else { return false }
        return e.file == "five.yaml" && e.key == "tune.folds" && e.line == 11
            && e.message.contains("at least 8 training classes") && e.message.contains("at most 2")
    }
    // Two folds leave 2 or 3 classes to train on: too few for the 4-class batches of the spec.
    let two = try ExperimentPlan(SpecParser.parse(text.replacingOccurrences(of: "  metric: map@r\n", with: "  metric: map@r\n  folds: 2\n"), file: "five.yaml"))
    #expect { try Tuner.check(two) } throws: { e in "\(e)".contains("a batch needs 4 classes") }
}

// MARK: - tpe

/// fair-ci.yaml with `trials` trials per variant by `search`, the first seed `seed`.
private func fairCIPlan(search: String, trials: Int, seed: Int = 0) throws -> TuningPlan {
    let text = try String(contentsOfFile: "experiments/fair-ci.yaml", encoding: .utf8)
        .replacingOccurrences(of: "search: random", with: "search: \(search)")
        .replacingOccurrences(of: "trials: 6", with: "trials: \(trials)")
        .replacingOccurrences(of: "seeds: [0, 1, 2]", with: "seeds: [\(seed)]")
    return try TuningPlan(ExperimentPlan(SpecParser.parse(text, file: "fair-ci.yaml")))
}

/// A synthetic validation score, no training: best at learning rate 2e-3 (log scale), margin 0.3
/// (temperature 0.07 for ntxent) and normalised embeddings, falling off quadratically.
private func syntheticScore(_ c: RunConfiguration) -> Double {
    let lr = log10(c.train.learningRate) - log10(2.0e-3)
    let other = c.loss.loss.rawValue == "ntxent"
        ? log10(c.loss.parameters["temperature"]?.number ?? 1) - log10(0.07)
        : (c.loss.parameters["margin"]?.number ?? 0) - 0.3
    return 1 - 0.2 * lr * lr - 0.5 * other * other - (c.model.normalize ? 0 : 0.1)
}

/// Runs a search with `syntheticScore` as every fold's metric, wave by wave, as `Tuner.run` does
/// (each stage planned from the records so far); returns the records and the outcomes.
private func simulate(_ tuning: TuningPlan) -> (records: [String: RunRecord], outcomes: [SearchOutcome]) {
    var records: [String: RunRecord] = [:]
    for stage in 0..<tuning.stages {
        let (runs, allPlanned) = tuning.runs(stage: stage, records: records)
        #expect(allPlanned)
        for run in runs {
            var r = RunRecord(run: run, experiment: "sim")
            r.status = .ok
            r.metrics = [tuning.tune.metric.name: syntheticScore(run.variant.configuration)]
            records[run.key] = r
        }
    }
    return (records, tuning.outcomes(records))
}

@Test func tpeWavesAreFixedByTheBudgetAndItsStartUpTrialsAreRandomsFirstTrials() throws {
    #expect(TuningPlan.waves(search: .tpe, trials: 24) == [0..<8, 8..<10, 10..<12, 12..<14, 14..<16, 16..<18, 18..<20, 20..<22, 22..<24])
    #expect(TuningPlan.waves(search: .tpe, trials: 7) == [0..<4, 4..<6, 6..<7])
    #expect(TuningPlan.waves(search: .tpe, trials: 3) == [0..<3])
    #expect(TuningPlan.waves(search: .random, trials: 24) == [0..<24])
    let tpe = try fairCIPlan(search: "tpe", trials: 24), random = try fairCIPlan(search: "random", trials: 24)
    #expect(tpe.tune.search == .tpe && tpe.stages == 9 && random.stages == 1)
    for (t, r) in zip(tpe.searches, random.searches) {
        #expect(t.trials.count == 8)
        #expect(t.trials.map { $0.values.map(\.1) } == r.trials.prefix(8).map { $0.values.map(\.1) })
        #expect(t.trials.map { VariantID.of($0.configuration) } == r.trials.prefix(8).map { VariantID.of($0.configuration) })
    }
    // Before any record, only the start-up wave can be planned (what a shard that gets ahead waits for).
    #expect(tpe.runs(stage: 0, records: [:]).runs.count == 3 * 8 * 4)
    let second = tpe.runs(stage: 1, records: [:])
    #expect(second.runs.isEmpty && !second.allPlanned)
}

@Test func tpeDrawIsAPureFunctionOfTheFinishedTrialsNotOfTheirOrder() throws {
    let space: [TuneDistribution] = [.logUniform(1.0e-4, 1.0e-2), .uniform(0.05, 1.0), .intUniform(8, 64), .choice([.bool(true), .bool(false)])]
    var source = SplitMix64(seed: 5)
    let history = (0..<10).map { t in
        TreeParzenEstimator.Observation(trial: t, values: space.map { TuningPlan.draw($0, &source) },
                                        score: t == 3 ? nil : source.nextUniform())
    }
    func draw(_ h: [TreeParzenEstimator.Observation], trial: Int) -> [AxisValue] {
        var rng = TuningPlan.tpeGenerator(seed: 0, variantID: "abc", trial: trial)
        return TreeParzenEstimator.draw(space: space, history: h, rng: &rng)
    }
    let a = draw(history, trial: 10)
    var shuffled = history
    var p = SplitMix64(seed: 9)
    p.shuffle(&shuffled)
    #expect(shuffled.map(\.trial) != history.map(\.trial))
    #expect(draw(shuffled, trial: 10) == a)
    #expect(draw(history.reversed(), trial: 10) == a)
    // Another trial index draws from another generator.
    #expect(draw(history, trial: 11) != a)
    // Inside the ranges, reals at 4 significant digits, whole numbers whole.
    guard case .double(let lr) = a[0], case .double(let m) = a[1], case .int(let k) = a[2] else { Issue.record("\(a)"); return }
    #expect(lr >= 1.0e-4 && lr <= 1.0e-2 && lr == Double(String(format: "%.4g", lr)))
    #expect(m >= 0.05 && m <= 1.0 && m == Double(String(format: "%.4g", m)))
    #expect(k >= 8 && k <= 64)

    // Plan level: two plans given the same finished trials draw the same waves.
    let x = simulate(try fairCIPlan(search: "tpe", trials: 12)).outcomes
    let y = try fairCIPlan(search: "tpe", trials: 12).outcomes(simulate(try fairCIPlan(search: "tpe", trials: 12)).records)
    for (o, q) in zip(x, y) {
        #expect(o.complete && o.search.trials.count == 12)
        #expect(o.search.trials.map { VariantID.of($0.configuration) } == q.search.trials.map { VariantID.of($0.configuration) })
    }
}

@Test func tpeDensitiesMatchTheirFormulas() {
    // Good = the best ⌈n/4⌉ = 1 of 4: l over x = 0.5 in [0, 1] is (U + N_[0,1](x; 0.5, 0.5)) / 2.
    let space: [TuneDistribution] = [.uniform(0, 1)]
    let d = _Density(space[0], [.double(0.5)])
    #expect(d.kernels.count == 1 && d.kernels[0].mu == 0.5 && d.kernels[0].sigma == 0.5)
    let mass = 0.5 * (erf(1 / 2.0.squareRoot()) - erf(-1 / 2.0.squareRoot()))
    let kernel = exp(-0.5 * 0.16) / (0.5 * (2 * Double.pi).squareRoot() * mass)
    #expect(abs(d.logDensity(space[0], .double(0.7)) - log((1 + kernel) / 2)) < 1e-12)
    // The density integrates to 1 over the range (midpoint rule).
    let n = 20_000
    let integral = (0..<n).reduce(0.0) { $0 + exp(d.logDensity(space[0], .double((Double($1) + 0.5) / Double(n)))) / Double(n) }
    #expect(abs(integral - 1) < 1e-6)
    // Neighbour bandwidths: values 0.2 and 0.3 in [0, 1]: σ = max(0.2, 0.1) and max(0.1, 0.7),
    // the first clipped up to (b − a) / min(100, k + 1) = 1/3.
    let two = _Density(space[0], [.double(0.3), .double(0.2)])
    #expect(two.kernels.map(\.mu) == [0.2, 0.3])
    #expect(zip(two.kernels.map(\.sigma), [1.0 / 3, 0.7]).allSatisfy { abs($0 - $1) < 1e-12 })
    // Bandwidths stay within the range's width.
    #expect(_Density(.logUniform(1.0e-4, 1.0e-2), [.double(1.0e-3)]).kernels[0].sigma <= log(100.0))
    // Choice: (count + 1) / (k + C).
    let c = _Density(.choice([.bool(true), .bool(false)]), [.bool(true), .bool(true), .bool(false)])
    #expect(c.weights == [3.0 / 5, 2.0 / 5])
}

/// On a synthetic objective of the parameters, TPE's best after 24 trials beats random search's,
/// averaged over variants and seeds (both searches share their first 8 trials).
@Test func tpeFindsBetterTrialsThanRandomSearchOnASyntheticObjective() throws {
    var tpeBest: [Double] = [], randomBest: [Double] = []
    for seed in 0..<6 {
        for (search, into) in [("tpe", 0), ("random", 1)] {
            let outcomes = simulate(try fairCIPlan(search: search, trials: 24, seed: seed)).outcomes
            for o in outcomes {
                #expect(o.complete && o.search.trials.count == 24)
                let best = try #require(o.chosen?.mean)
                if into == 0 { tpeBest.append(best) } else { randomBest.append(best) }
            }
        }
    }
    let tpeMean = tpeBest.reduce(0, +) / Double(tpeBest.count), randomMean = randomBest.reduce(0, +) / Double(randomBest.count)
    print("synthetic objective, best after 24 trials over \(tpeBest.count) searches: tpe \(tpeMean), random \(randomMean); tpe ahead in \(zip(tpeBest, randomBest).filter { $0 > $1 }.count), behind in \(zip(tpeBest, randomBest).filter { $0 < $1 }.count)")
    #expect(tpeMean > randomMean)
    // Regret (distance to the optimum 1) shrinks by at least a third.
    #expect(1 - tpeMean < (1 - randomMean) * 2 / 3)
}

/// A resumed search trains a recorded trial at its recorded values, even when the trials before it
/// were since rescored (the record, not a re-draw, decides).
@Test func tpeTrialsWithRecordsKeepTheirRecordedValues() throws {
    let tuning = try fairCIPlan(search: "tpe", trials: 12)
    let (records, outcomes) = simulate(tuning)
    // Rescore the start-up trials (as if a failed fold had been rerun): a fresh draw of trial 8 now differs…
    func keys(_ trials: Range<Int>) -> Set<String> {
        Set(tuning.searches.flatMap { s in trials.flatMap { t in (0..<4).map { tuning.trialID(s, trial: t, rung: 0, fold: $0) + "-s0" } } })
    }
    var rescored = records
    for k in keys(0..<8) { rescored[k]!.metrics = rescored[k]!.metrics.mapValues { 1 - $0 } }
    let later = keys(8..<12)
    #expect(later.isSubset(of: Set(records.keys)))
    let redrawn = tuning.outcomes(rescored.filter { !later.contains($0.key) })
    // …but with trial 8's records present, its recorded values stand.
    let resumed = tuning.outcomes(rescored)
    for (o, (r, fresh)) in zip(outcomes, zip(resumed, redrawn)) {
        #expect(r.search.trials[8].values.map(\.1) == o.search.trials[8].values.map(\.1))
        #expect(VariantID.of(r.search.trials[8].configuration) == VariantID.of(o.search.trials[8].configuration))
        #expect(fresh.search.trials[8].values.map(\.1) != o.search.trials[8].values.map(\.1))
    }
}

/// A tpe search interrupted in its second wave (a kill -9 leaves some of the wave's trial runs
/// recorded, the rest and the final runs not) resumes to the same trial records as an
/// uninterrupted search, training only the missing runs.
@Test func tpeResumedMidWaveTrainsOnlyTheMissingRunsAndDrawsTheSame() throws {
    let data = temporaryDirectory()
    try writeClusters(data, prefix: "train", first: 0, classes: 12, perClass: 12, dim: 10, seed: 1)
    try writeClusters(data, prefix: "test", first: 12, classes: 6, perClass: 12, dim: 10, seed: 2)
    let plan = try ExperimentPlan(SpecParser.parse(npyTunedSpec(data, search: "tpe").replacingOccurrences(of: "trials: 3", with: "trials: 7"), file: "t.yaml"))
    var options = RunnerOptions()
    options.threads = 1
    let whole = temporaryDirectory()
    _ = try Tuner.run(plan, directory: whole, final: FakeExecutor(), options: options, log: quiet)
    let complete = try Tuner.trialStore(whole, create: false).records().records
    #expect(complete.count == 2 * 7 * 3)

    // The interrupted folder: the start-up trials, and trial 4 but not 5 of the second wave.
    let tuning = try TuningPlan(plan)
    let resumed = temporaryDirectory()
    let kept = Set(tuning.searches.flatMap { s in (0...4).flatMap { t in (0..<3).map { tuning.trialID(s, trial: t, rung: 0, fold: $0) + "-s0" } } })
    let store = try Tuner.trialStore(resumed)
    for r in complete where kept.contains(r.key) { try store.write(r) }
    let finals = FakeExecutor()
    let outcome = try Tuner.run(plan, directory: resumed, final: finals, options: options, log: quiet)
    #expect(outcome.complete)
    #expect(outcome.trials.ok == complete.count - kept.count && outcome.trials.alreadyDone == kept.count)
    #expect(finals.calls.all.count == 2 * plan.spec.seeds.count)
    let again = try Tuner.trialStore(resumed, create: false).records().records
    func configurations(_ rs: [RunRecord]) -> [String: String] { Dictionary(uniqueKeysWithValues: rs.map { ($0.key, VariantID.of($0.configuration)) }) }
    func metrics(_ rs: [RunRecord]) -> [String: [String: Double]] { Dictionary(uniqueKeysWithValues: rs.map { ($0.key, $0.metrics) }) }
    let sameConfigurations = configurations(again) == configurations(complete), sameMetrics = metrics(again) == metrics(complete)
    #expect(sameConfigurations && sameMetrics)
}

// MARK: - multivariate tpe

/// The joint density is a density: it integrates to 1 over a numeric × numeric space and over a
/// numeric × choice one, and at k = 1 it is (prior + product kernel) / 2 with the stated width.
@Test func jointTPEDensityMatchesItsFormulaAndIntegratesToOne() {
    let square: [TuneDistribution] = [.uniform(0, 1), .uniform(0, 2)]
    let one = _JointDensity(square, [[.double(0.3), .double(1.5)]])
    // σ_p = 0.2 (b − a) · 1^(−1/6), above the clip (b − a) / 3? No: 0.2 < 1/3, so clipped up to (b − a) / 3.
    #expect(abs(one.ranges[0].sigma - 1.0 / 3) < 1e-12 && abs(one.ranges[1].sigma - 2.0 / 3) < 1e-12)
    func truncatedNormal(_ x: Double, _ mu: Double, _ sigma: Double, _ a: Double, _ b: Double) -> Double {
        let cdf = { (z: Double) in 0.5 * erfc(-z / 2.0.squareRoot()) }
        let z = (x - mu) / sigma
        return exp(-0.5 * z * z) / (sigma * (2 * Double.pi).squareRoot() * (cdf((b - mu) / sigma) - cdf((a - mu) / sigma)))
    }
    let expected = (1.0 / 2 + truncatedNormal(0.5, 0.3, 1.0 / 3, 0, 1) * truncatedNormal(1.0, 1.5, 2.0 / 3, 0, 2)) / 2
    #expect(abs(one.logDensity(square, [.double(0.5), .double(1.0)]) - log(expected)) < 1e-12)
    // Midpoint rule on a 400 × 400 grid, three observations.
    let three = _JointDensity(square, [[.double(0.3), .double(1.5)], [.double(0.9), .double(0.1)], [.double(0.5), .double(0.5)]])
    let n = 400
    var integral = 0.0
    for i in 0..<n {
        for j in 0..<n {
            let x = (Double(i) + 0.5) / Double(n), y = 2 * (Double(j) + 0.5) / Double(n)
            integral += exp(three.logDensity(square, [.double(x), .double(y)])) * (1.0 / Double(n)) * (2.0 / Double(n))
        }
    }
    #expect(abs(integral - 1) < 1e-4)
    // A choice: the sum over its values of the integral over the numeric setting.
    let mixed: [TuneDistribution] = [.logUniform(1.0e-4, 1.0e-2), .choice([.bool(true), .bool(false), .string("x")])]
    let d = _JointDensity(mixed, [[.double(1.0e-3), .bool(true)], [.double(5.0e-3), .string("x")]])
    let (a, b) = (log(1.0e-4), log(1.0e-2))
    var total = 0.0
    for c in [AxisValue.bool(true), .bool(false), .string("x")] {
        for i in 0..<4000 {
            let x = a + (b - a) * (Double(i) + 0.5) / 4000
            total += exp(d.logDensity(mixed, [.double(exp(x)), c])) * (b - a) / 4000
        }
    }
    #expect(abs(total - 1) < 1e-4)
    // Outside the space: zero density.
    #expect(d.logDensity(mixed, [.double(1.0), .bool(true)]) == -.infinity)
}

/// On an objective whose optimum is a diagonal ridge (the two settings only matter together),
/// the joint estimator finds better trials than the independent one: their marginals over the
/// good trials are nearly flat, the joint density is not. Same start-up trials, same waves of 2.
@Test func jointTPEBeatsIndependentTPEWhereTheSettingsInteract() {
    let space: [TuneDistribution] = [.uniform(0, 1), .uniform(0, 1)]
    func score(_ v: [AxisValue]) -> Double {
        let x = v[0].number!, y = v[1].number!
        return 1 - 8 * (x - y) * (x - y) - 0.5 * (x + y - 1.2) * (x + y - 1.2)
    }
    func search(seed: UInt64, multivariate: Bool) -> Double {
        var start = SplitMix64.derived(seed: seed, stream: 1)
        var history = (0..<8).map { t -> TreeParzenEstimator.Observation in
            let v = space.map { TuningPlan.draw($0, &start) }
            return .init(trial: t, values: v, score: score(v))
        }
        for wave in stride(from: 8, to: 24, by: 2) {
            let before = history
            for t in wave..<(wave + 2) {
                var rng = TuningPlan.tpeGenerator(seed: seed, variantID: "ridge", trial: t)
                let v = TreeParzenEstimator.draw(space: space, history: before, multivariate: multivariate, rng: &rng)
                history.append(.init(trial: t, values: v, score: score(v)))
            }
        }
        return history.compactMap(\.score).max()!
    }
    let seeds = 0..<40
    let joint = seeds.map { search(seed: UInt64($0), multivariate: true) }
    let independent = seeds.map { search(seed: UInt64($0), multivariate: false) }
    let regret = { (b: [Double]) in b.map { 1 - $0 }.reduce(0, +) / Double(b.count) }
    print("ridge objective, regret after 24 trials over \(seeds.count) searches: joint \(regret(joint)), independent \(regret(independent)); joint ahead in \(zip(joint, independent).filter { $0 > $1 }.count)")
    #expect(regret(joint) < regret(independent) * 0.8)
}

@Test func multivariateIsASettingOfTPEOnly() throws {
    let text = try String(contentsOfFile: "experiments/fair-ci.yaml", encoding: .utf8)
    let tpe = text.replacingOccurrences(of: "search: random", with: "search: tpe\n  multivariate: true")
    #expect(try SpecParser.parse(tpe, file: "f.yaml").tune?.multivariate == true)
    #expect(try SpecParser.parse(text, file: "f.yaml").tune?.multivariate == false)
    let random = text.replacingOccurrences(of: "search: random", with: "search: random\n  multivariate: true")
    #expect { try SpecParser.parse(random, file: "f.yaml") } throws: { e in
        "\(e)".contains("f.yaml:") && "\(e)".contains("'multivariate'") && "\(e)".contains("search: tpe only")
    }
    // And the plan's draws follow it: the start-up wave is random's either way, the next waves differ.
    func plan(_ multivariate: Bool) throws -> TuningPlan {
        let t = text.replacingOccurrences(of: "search: random", with: "search: tpe\n  multivariate: \(multivariate)")
            .replacingOccurrences(of: "trials: 6", with: "trials: 12").replacingOccurrences(of: "seeds: [0, 1, 2]", with: "seeds: [0]")
        return try TuningPlan(ExperimentPlan(SpecParser.parse(t, file: "f.yaml")))
    }
    let joint = simulate(try plan(true)).outcomes, independent = simulate(try plan(false)).outcomes
    for (j, i) in zip(joint, independent) {
        #expect(j.complete && i.complete)
        #expect(j.search.trials.prefix(4).map { $0.values.map(\.1) } == i.search.trials.prefix(4).map { $0.values.map(\.1) })
        #expect(j.search.trials.dropFirst(4).map { $0.values.map(\.1) } != i.search.trials.dropFirst(4).map { $0.values.map(\.1) })
    }
}
