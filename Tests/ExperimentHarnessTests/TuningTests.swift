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
    ("  search: tpe", "search", "'tpe' is not implemented yet"),
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
@Test(arguments: ["random", "halving"])
func selectionIsUnchangedWhenTheTestLabelsArePermuted(search: String) throws {
    // One folder (the dataset's paths are part of every id): the test files are rewritten between the two tunings.
    let data = temporaryDirectory()
    try writeClusters(data, prefix: "train", first: 0, classes: 12, perClass: 12, dim: 10, seed: 1)
    var text = npyTunedSpec(data, search: search)
    if search == "halving" { text = text.replacingOccurrences(of: "epochs: 1", with: "epochs: 3") }
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
    #expect(trialMetrics[0].count == (search == "halving" ? 2 * 3 * 3 + 2 * 1 * 3 : 2 * 3 * 3))
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
