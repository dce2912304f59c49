import NumericCore
import Testing
@testable import Training

@Test func syntheticDataIsDeterministicPerSeed() throws {
    let spec = DatasetSpec.synthetic(classes: 30, samplesPerClass: 5, inputDim: 12, latentDim: 4, seed: 7)
    let a = try loadDataset(spec), b = try loadDataset(spec)
    #expect(a.train.features == b.train.features && a.test.features == b.test.features)
    #expect(a.train.labels == b.train.labels)
    var other = spec
    other.update(SyntheticData.self) { $0.seed = 8 }
    #expect(try loadDataset(other).train.features != a.train.features)
}

@Test func syntheticTrainAndTestClassesAreDisjoint() throws {
    let data = try loadDataset(DatasetSpec.synthetic(classes: 1000, trainClasses: 600, samplesPerClass: 3, inputDim: 16, latentDim: 8))
    #expect(data.train.classes.count == 600)
    #expect(data.test.classes.count == 400)
    #expect(Set(data.train.labels).isDisjoint(with: Set(data.test.labels)))
    #expect(data.train.count == 1800 && data.test.count == 1200)
    #expect(data.inputShape == InputShape(flat: 16))
    #expect(data.train.features.isFinite && data.test.features.isFinite)
}

@Test func badSyntheticParametersNameTheKey() {
    #expect { try loadDataset(DatasetSpec.synthetic(classes: 10, trainClasses: 10)) } throws: { "\($0)".contains("train_classes") }
}

@Test func npyDatasetSplitsOneFilePairByClassRange() throws {
    let dir = temporaryDirectory("npy")
    let features = randomMatrix(rows: 6, cols: 3, seed: 1)
    try NPY.write(features, to: dir + "/f.npy")
    try NPY.write(labels: [1, 2, 101, 1, 150, 2], to: dir + "/l.npy")
    let spec = DatasetSpec(NPYDataset(features: dir + "/f.npy", labels: dir + "/l.npy", testClassesFrom: 101))
    let data = try loadDataset(spec)
    #expect(data.train.labels == [1, 2, 1, 2])
    #expect(data.test.labels == [101, 150])
    #expect(data.test.features.row(0) == features.row(2))
    try NPY.write(labels: [1, 2, 3], to: dir + "/short.npy")
    var bad = spec
    bad.update(NPYDataset.self) { $0.labels = dir + "/short.npy" }
    #expect { try loadDataset(bad) } throws: { ($0 as? DataFileError)?.path == dir + "/short.npy" }
}

@Test func npyDatasetReadsSeparateTrainAndTestFiles() throws {
    let dir = temporaryDirectory("npy4")
    try NPY.write(randomMatrix(rows: 4, cols: 2, seed: 1), to: dir + "/trf.npy")
    try NPY.write(labels: [0, 0, 1, 1], to: dir + "/trl.npy", int64: false)
    try NPY.write(randomMatrix(rows: 2, cols: 2, seed: 2), to: dir + "/tef.npy")
    try NPY.write(labels: [5, 6], to: dir + "/tel.npy")
    var spec = DatasetSpec(NPYDataset(trainFeatures: dir + "/trf.npy", trainLabels: dir + "/trl.npy",
                                      testFeatures: dir + "/tef.npy", testLabels: dir + "/tel.npy"))
    let data = try loadDataset(spec)
    #expect(data.train.labels == [0, 0, 1, 1] && data.test.labels == [5, 6])
    #expect(data.inputShape == InputShape(flat: 2))
    try NPY.write(randomMatrix(rows: 2, cols: 3, seed: 2), to: dir + "/wide.npy")
    spec.update(NPYDataset.self) { $0.testFeatures = dir + "/wide.npy" }
    #expect { try loadDataset(spec) } throws: { ($0 as? DataFileError)?.path == dir + "/wide.npy" }
}
