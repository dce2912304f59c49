import Foundation
import Testing
@testable import ExperimentHarness

let sampleSpec = """
name: demo
description: A small sweep
dataset: { name: synthetic, classes: 30, train_classes: 20, samples_per_class: 10, input_dim: 16 }
model: { kind: mlp, hidden: [32], normalize: true }
train: { optimizer: adam, learning_rate: 0.001, epochs: 1, samples_per_class: 4 }
seeds: [0, 1]
base: { loss: triplet, mining: semihard, batch_size: 32, embedding_dim: 16 }
sweeps:
  - { loss: [contrastive, triplet, lifted], mining: [all, semihard, hard] }
  - { loss: [contrastive, triplet, lifted], batch_size: [16, 32] }
metrics: [recall@1, recall@2, map@r, nmi, val@far=1e-3]
tables:
  - { rows: loss, columns: mining, metric: recall@1 }
  - { rows: loss, columns: batch_size, metric: map@r }
"""

func parseError(_ text: String) -> SpecError? {
    do {
        _ = try ExperimentPlan(SpecParser.parse(text, file: "x.yaml"))
        return nil
    } catch let e as SpecError {
        return e
    } catch {
        return nil
    }
}

@Test func parsesTheSampleSpec() throws {
    let spec = try SpecParser.parse(sampleSpec, file: "demo.yaml")
    #expect(spec.name == "demo")
    #expect(spec.seeds == [0, 1])
    #expect(spec.metrics.map(\.name) == ["recall@1", "recall@2", "map@r", "nmi", "val@far=0.001"])
    #expect(spec.recallK == [1, 2])
    #expect(spec.fars == [0.001])
    #expect(spec.tables.count == 2)
    #expect(spec.dataset.options(as: SyntheticData.self)?.trainClasses == 20)
    #expect(spec.train.samplesPerClass == 4)
}

@Test func gridsAreExpandedAndDeduplicated() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    // Sweep 1: 3 losses × 3 minings minus lifted×semihard = 8; sweep 2: 3 × 2 = 6,
    // of which (contrastive|triplet, semihard, 32) and lifted (base mining semihard → skipped) overlap.
    // Sweep 2 with lifted uses the base mining 'semihard': unsupported, skipped.
    // Sweep 2 adds contrastive/semihard/16 and triplet/semihard/16 only.
    #expect(plan.variants.count == 10)
    #expect(plan.runs.count == 20)
    #expect(plan.skipped.map { "\($0.loss.rawValue)×\($0.mining.rawValue)" } == ["lifted×semihard"])
    #expect(Set(plan.variants.map(\.id)).count == plan.variants.count)
}

@Test func variantIdsDependOnlyOnTheResolvedConfiguration() throws {
    let a = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    // Comments, key order, spelled-out defaults and an extra sweep value leave old ids alone.
    let edited = sampleSpec
        .replacingOccurrences(of: "name: demo", with: "# a comment\nname: demo")
        .replacingOccurrences(of: "batch_size: [16, 32]", with: "batch_size: [16, 32, 64]")
        .replacingOccurrences(of: "base: { loss: triplet, mining: semihard,", with: "base: { mining: semihard, loss: triplet, reducer: mean,")
    let b = try ExperimentPlan(SpecParser.parse(edited, file: "demo.yaml"))
    #expect(Set(a.variants.map(\.id)).isSubset(of: Set(b.variants.map(\.id))))
    #expect(b.variants.count == a.variants.count + 2)
    // And the hash is pinned: a change of the encoding would silently orphan every finished run.
    let again = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    #expect(again.variants.map(\.id) == a.variants.map(\.id))
}

@Test func unknownKeysGetADidYouMeanHintWithTheLine() {
    let e = parseError(sampleSpec.replacingOccurrences(of: "seeds: [0, 1]", with: "sedes: [0, 1]"))
    #expect(e?.line == 6)
    #expect(e?.key == "sedes")
    #expect(e?.description.contains("did you mean 'seeds'?") == true)
    let f = parseError(sampleSpec.replacingOccurrences(of: "base: { loss: triplet, mining:", with: "base: { loss: triplet, minig:"))
    #expect(f?.line == 7)
    #expect(f?.description.contains("did you mean 'mining'?") == true)
    let g = parseError(sampleSpec.replacingOccurrences(of: "optimizer: adam,", with: "optimiser: adam,"))
    #expect(g?.description.contains("x.yaml:5: 'optimiser': unknown key in 'train' (did you mean 'optimizer'?)") == true)
}

@Test func wrongTypesAndUnknownNamesAreErrors() {
    let e = parseError(sampleSpec.replacingOccurrences(of: "epochs: 1", with: "epochs: two"))
    #expect(e?.description == "x.yaml:5: 'epochs': expected an integer, found 'two'")
    let f = parseError(sampleSpec.replacingOccurrences(of: "[contrastive, triplet, lifted], mining", with: "[contrastive, tripplet, lifted], mining"))
    #expect(f?.line == 9)
    #expect(f?.description.contains("unknown value 'tripplet' (did you mean 'triplet'?)") == true)
    let g = parseError(sampleSpec.replacingOccurrences(of: "name: synthetic", with: "name: cifar"))
    #expect(g?.description.contains("unknown value 'cifar'") == true)
    let h = parseError(sampleSpec.replacingOccurrences(of: "nmi, val", with: "nmii, val"))
    #expect(h?.description.contains("unknown metric 'nmii'") == true)
    let i = parseError(sampleSpec.replacingOccurrences(of: "metric: map@r }", with: "metric: precision@1 }"))
    #expect(i?.description.contains("'precision@1' is not in 'metrics'") == true)
    let j = parseError("name: x\ndataset: [1, 2\n")
    #expect(j?.description.contains("not valid YAML") == true)
}

@Test func impossibleBatchCompositionsAreErrors() {
    let e = parseError(sampleSpec.replacingOccurrences(of: "batch_size: [16, 32]", with: "batch_size: [18, 32]"))
    #expect(e?.line == 10)
    #expect(e?.description.contains("batch_size 18 is not a multiple of samples_per_class 4") == true)
    // Fashion-MNIST trains on 5 classes: 128 = 32 classes × 4 samples cannot be drawn.
    let fashion = sampleSpec.replacingOccurrences(
        of: "{ name: synthetic, classes: 30, train_classes: 20, samples_per_class: 10, input_dim: 16 }",
        with: "{ name: fashion-mnist }").replacingOccurrences(of: "batch_size: [16, 32]", with: "batch_size: [16, 128]")
    let f = parseError(fashion)
    #expect(f?.description.contains("needs 8 classes per batch, but the training split has 5") == true)
    let g = parseError(sampleSpec.replacingOccurrences(of: "samples_per_class: 4 }", with: "samples_per_class: 1 }"))
    #expect(g?.description.contains("at least 2 samples per class") == true)
}

@Test func classesPerBatchFixesPAndDerivesK() throws {
    let text = sampleSpec.replacingOccurrences(of: "samples_per_class: 4 }", with: "classes_per_batch: 4 }")
    let plan = try ExperimentPlan(SpecParser.parse(text, file: "x.yaml"))
    let ks = Set(plan.variants.map { $0.configuration.train.batchSize / $0.configuration.train.samplesPerClass })
    #expect(ks == [4])
    #expect(Set(plan.variants.map(\.configuration.train.samplesPerClass)) == [4, 8])
}

@Test func tableLookupShowsUnsupportedCombinations() throws {
    let plan = try ExperimentPlan(SpecParser.parse(sampleSpec, file: "demo.yaml"))
    if case .unsupported = plan.lookup([(.loss, .string("lifted")), (.mining, .string("semihard"))]) {} else {
        Issue.record("lifted × semihard should be unsupported")
    }
    if case .variant = plan.lookup([(.loss, .string("lifted")), (.mining, .string("hard"))]) {} else {
        Issue.record("lifted × hard should be planned")
    }
    if case .notPlanned = plan.lookup([(.loss, .string("triplet")), (.embeddingDim, .int(999))]) {} else {
        Issue.record("an embedding_dim never swept is not planned")
    }
    #expect(plan.requestedValues(of: .batchSize) == [.int(16), .int(32)])
}

@Test func lookupUsesTheSettingsASweepFixes() throws {
    // The batch-size grid runs with 4 classes per batch while the base draws 8 samples per class:
    // the table cell for batch 16 is the sweep's variant (K = 4), not "not in the sweep".
    let text = sampleSpec.replacingOccurrences(
        of: "  - { loss: [contrastive, triplet, lifted], batch_size: [16, 32] }",
        with: "  - { loss: [contrastive, triplet], classes_per_batch: 4, batch_size: [16, 48] }")
        .replacingOccurrences(of: "samples_per_class: 4 }", with: "samples_per_class: 8 }")
    let plan = try ExperimentPlan(SpecParser.parse(text, file: "x.yaml"))
    guard case .variant(let v) = plan.lookup([(.loss, .string("triplet")), (.batchSize, .int(48))]) else {
        Issue.record("batch 48 should be found through the sweep's classes_per_batch")
        return
    }
    #expect(v.configuration.train.samplesPerClass == 12)
    if case .variant = plan.lookup([(.loss, .string("lifted")), (.batchSize, .int(48))]) {
        Issue.record("lifted was not in the batch-size sweep")
    }
}

/// A registered loss's parameter is a spec key: a bad value names the key and
/// the loss once; a key only other losses have is ignored by this one.
@Test func lossParametersAreCheckedByTheirLoss() throws {
    let bad = parseError(sampleSpec.replacingOccurrences(
        of: "base: { loss: triplet, mining: semihard,", with: "base: { loss: ntxent, mining: all, temperature: -1,"))
    #expect(bad?.key == "temperature")
    #expect(bad?.description.contains("ntxent: temperature must be a positive number") == true)
    #expect(bad?.description.contains("ntxent: ntxent") == false)
    let plan = try ExperimentPlan(SpecParser.parse(
        sampleSpec.replacingOccurrences(of: "base: { loss: triplet,", with: "base: { loss: triplet, temperature: 0.5,"), file: "x.yaml"))
    let base = try #require(plan.base)
    #expect(base.configuration.loss.parameters["temperature"] == nil)
}

/// A bad parameter value is bad input even where its loss/mining combination is skipped
/// (ntxent takes only `all`, so `ntxent` + `semihard` trains nothing), with its key and line.
@Test func aBadLossParameterOnASkippedCombinationIsStillAnError() throws {
    let skippedBase = sampleSpec.replacingOccurrences(
        of: "base: { loss: triplet, mining: semihard,", with: "base: { loss: ntxent, mining: semihard, temperature: -1,")
    let bad = try #require(parseError(skippedBase))
    #expect(bad.key == "temperature")
    #expect(bad.message.contains("temperature must be a positive number"))
    let line = try #require(bad.line)
    #expect(skippedBase.split(separator: "\n", omittingEmptySubsequences: false)[line - 1].contains("temperature: -1"))
    // In a sweep: the value list's own line.
    let swept = sampleSpec.replacingOccurrences(
        of: "batch_size: [16, 32] }", with: "batch_size: [16, 32] }\n  - { loss: [supcon], mining: [hard], temperature: [0.1, 0] }")
    let inSweep = try #require(parseError(swept))
    #expect(inSweep.key == "temperature" && inSweep.message.contains("temperature must be a positive number"))
    #expect(inSweep.message.hasPrefix("supcon: "))
    // Every loss the spec names with the key judges it, and only those.
    let both = swept.replacingOccurrences(of: "loss: [supcon]", with: "loss: [supcon, ntxent]")
    #expect(try #require(parseError(both)).message.contains("every loss of this spec with 'temperature' checks it: supcon, ntxent"))
    #expect(swept.split(separator: "\n", omittingEmptySubsequences: false)[try #require(inSweep.line) - 1].contains("temperature: [0.1, 0]"))
    // A good value on a skipped combination is not an error: the combination is skipped with its note.
    let fine = sampleSpec.replacingOccurrences(
        of: "base: { loss: triplet, mining: semihard,", with: "base: { loss: ntxent, mining: semihard, temperature: 0.5,")
    #expect(parseError(fine) == nil)
    // A value that suits the spec's losses is not judged by a loss the spec never names:
    // arcface rejects a negative margin, triplet takes it.
    let negativeMargin = sampleSpec.replacingOccurrences(
        of: "base: { loss: triplet, mining: semihard,", with: "base: { loss: triplet, mining: semihard, margin: -0.1,")
    #expect(parseError(negativeMargin) == nil)
    let withArcFace = negativeMargin.replacingOccurrences(
        of: "batch_size: [16, 32] }", with: "batch_size: [16, 32] }\n  - { loss: [arcface] }")
    #expect(try #require(parseError(withArcFace)).key == "margin")
}
