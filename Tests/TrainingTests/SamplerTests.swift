import Testing
@testable import Training

private let labels: [Int32] = (0..<60).map { Int32($0 % 10) }  // 10 classes × 6

@Test func batchesHoldPClassesOfKSamplesEach() throws {
    var sampler = try PKSampler(labels: labels, batchSize: 12, samplesPerClass: 3, seed: 1)
    #expect(sampler.classesPerBatch == 4)
    #expect(sampler.batchesPerEpoch == 5)
    var batch: [Int] = []
    for _ in 0..<20 {
        sampler.nextBatch(into: &batch)
        #expect(batch.count == 12)
        var seen = Set<Int32>()
        for p in 0..<4 {
            let block = batch[(p * 3)..<(p * 3 + 3)]
            let blockLabels = Set(block.map { labels[$0] })
            #expect(blockLabels.count == 1)
            #expect(Set(block).count == 3, "sampled without replacement")
            seen.formUnion(blockLabels)
        }
        #expect(seen.count == 4, "P distinct classes")
    }
}

@Test func samplerIsSeededAndDeterministic() throws {
    var a = try PKSampler(labels: labels, batchSize: 8, samplesPerClass: 2, seed: 5)
    var b = try PKSampler(labels: labels, batchSize: 8, samplesPerClass: 2, seed: 5)
    var c = try PKSampler(labels: labels, batchSize: 8, samplesPerClass: 2, seed: 6)
    var x: [Int] = [], y: [Int] = [], z: [Int] = []
    var differs = false
    for _ in 0..<10 {
        a.nextBatch(into: &x); b.nextBatch(into: &y); c.nextBatch(into: &z)
        #expect(x == y)
        if x != z { differs = true }
    }
    #expect(differs)
}

@Test func smallClassesAreSampledWithReplacement() throws {
    let few: [Int32] = [0, 0, 1, 1, 1, 1]
    var sampler = try PKSampler(labels: few, batchSize: 6, samplesPerClass: 3, seed: 2)
    var batch: [Int] = []
    for _ in 0..<5 {
        sampler.nextBatch(into: &batch)
        for p in 0..<2 { #expect(Set(batch[(p * 3)..<(p * 3 + 3)].map { few[$0] }).count == 1) }
    }
}

@Test func batchSizeNotDivisibleBySamplesPerClassIsAnError() {
    #expect { try PKSampler(labels: labels, batchSize: 10, samplesPerClass: 3, seed: 0) } throws: {
        "\($0)".contains("not a multiple of samples_per_class")
    }
}

@Test func tooFewClassesIsAClearError() {
    #expect { try PKSampler(labels: labels, batchSize: 40, samplesPerClass: 2, seed: 0) } throws: {
        "\($0)".contains("only 10 classes") && "\($0)".contains("P = 20")
    }
}

@Test func suggestedSamplesPerClassFitsTheClasses() {
    #expect(PKSampler.suggestedSamplesPerClass(batchSize: 128, classCount: 100) == 4)
    #expect(PKSampler.suggestedSamplesPerClass(batchSize: 128, classCount: 5) == 32)
    #expect(PKSampler.suggestedSamplesPerClass(batchSize: 30, classCount: 5) == 6)
}
