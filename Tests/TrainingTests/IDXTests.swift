import Foundation
import NumericCore
import Testing
@testable import Training

private let fashion = FashionMNIST.defaultPath

@Test func fashionMNISTFilesHaveTheirKnownCountsAndFirstLabels() throws {
    let train = try FashionMNIST.files(fashion, prefix: "train")
    let test = try FashionMNIST.files(fashion, prefix: "t10k")
    #expect(train.data.count == 60_000)
    #expect(test.data.count == 10_000)
    #expect(train.height == 28 && train.width == 28)
    #expect(train.data.features.cols == 784)
    #expect(Array(train.data.labels.prefix(5)) == [9, 0, 0, 3, 0])
    #expect(Set(train.data.labels) == Set(0..<10))
    #expect(train.data.features.storage.allSatisfy { $0 >= 0 && $0 <= 1 })
    #expect(train.data.features.storage.contains(1))  // 255 maps to exactly 1
}

@Test func fashionMNISTDefaultSplitIsClassDisjoint() throws {
    let data = try loadDataset(.fashionMNIST())
    #expect(data.inputShape == InputShape(channels: 1, height: 28, width: 28))
    #expect(data.train.classes == [0, 1, 2, 3, 4])
    #expect(data.test.classes == [5, 6, 7, 8, 9])
    #expect(data.train.count == 30_000)
    #expect(data.test.count == 5_000)
}

@Test func standardizedFashionMNISTHasZeroMeanUnitVarianceOnTrain() throws {
    let data = try loadDataset(.fashionMNIST(standardize: true))
    let v = data.train.features.storage.map(Double.init)
    let mean = v.reduce(0, +) / Double(v.count)
    let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)
    #expect(abs(mean) < 1e-3)
    #expect(abs(variance - 1) < 1e-3)
}

// MARK: - Corrupt and missing files

private func idxImages(count: Int, height: Int = 2, width: Int = 2, magic: UInt32 = 0x0803) -> [UInt8] {
    var bytes: [UInt8] = []
    for v in [magic, UInt32(count), UInt32(height), UInt32(width)] { withUnsafeBytes(of: v.bigEndian) { bytes += $0 } }
    bytes += (0..<(count * height * width)).map { UInt8($0 % 256) }
    return bytes
}

private func idxLabels(_ labels: [UInt8], magic: UInt32 = 0x0801) -> [UInt8] {
    var bytes: [UInt8] = []
    for v in [magic, UInt32(labels.count)] { withUnsafeBytes(of: v.bigEndian) { bytes += $0 } }
    return bytes + labels
}

private func write(_ bytes: [UInt8], _ dir: String, _ name: String) -> String {
    let path = (dir as NSString).appendingPathComponent(name)
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

private func expectDataError(naming path: String, containing words: String, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a DataFileError for \(path)")
    } catch let e as DataFileError {
        #expect(e.path == path, "error names \(e.path)")
        #expect(e.description.contains(path))
        #expect(e.problem.contains(words), "problem: \(e.problem)")
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Test func plainIDXFilesInAnotherFolderLoad() throws {
    let dir = temporaryDirectory("plain")
    _ = write(idxImages(count: 4), dir, "train-images-idx3-ubyte")
    _ = write(idxLabels([0, 1, 2, 3]), dir, "train-labels-idx1-ubyte")
    _ = write(idxImages(count: 2), dir, "t10k-images-idx3-ubyte")
    _ = write(idxLabels([7, 8]), dir, "t10k-labels-idx1-ubyte")
    var spec = DatasetSpec.fashionMNIST(path: dir)
    spec.split = .sameClasses
    let data = try loadDataset(spec)
    #expect(data.train.labels == [0, 1, 2, 3])
    #expect(data.test.labels == [7, 8])
    #expect(data.inputShape == InputShape(channels: 1, height: 2, width: 2))
    #expect(data.train.features.row(1) == [4, 5, 6, 7].map { Float($0) / 255 })
}

@Test func wrongMagicIsReportedWithTheFile() {
    let dir = temporaryDirectory("magic")
    let path = write(idxImages(count: 2, magic: 0x0801), dir, "images")
    expectDataError(naming: path, containing: "magic") { _ = try IDX.readImages(path) }
    let labels = write(idxLabels([1], magic: 0x0803), dir, "labels")
    expectDataError(naming: labels, containing: "magic") { _ = try IDX.readLabels(labels) }
}

@Test func truncatedFilesAreReportedWithTheFile() {
    let dir = temporaryDirectory("truncated")
    let images = write(Array(idxImages(count: 3).dropLast(5)), dir, "images")
    expectDataError(naming: images, containing: "truncated") { _ = try IDX.readImages(images) }
    let header = write(Array(idxImages(count: 3).prefix(10)), dir, "header")
    expectDataError(naming: header, containing: "truncated") { _ = try IDX.readImages(header) }
    let labels = write(Array(idxLabels([1, 2, 3]).dropLast(1)), dir, "labels")
    expectDataError(naming: labels, containing: "truncated") { _ = try IDX.readLabels(labels) }
}

@Test func imageLabelCountMismatchIsReported() {
    let dir = temporaryDirectory("mismatch")
    _ = write(idxImages(count: 3), dir, "train-images-idx3-ubyte")
    let labels = write(idxLabels([0, 1]), dir, "train-labels-idx1-ubyte")
    expectDataError(naming: labels, containing: "2 labels") { _ = try FashionMNIST.files(dir, prefix: "train") }
}

@Test func missingFilesAreReportedWithTheFileAndHowToInstall() {
    let dir = temporaryDirectory("missing")
    let expected = (dir as NSString).appendingPathComponent("train-images-idx3-ubyte.gz")
    expectDataError(naming: expected, containing: "no such file") { _ = try loadDataset(.fashionMNIST(path: dir)) }
    let direct = (dir as NSString).appendingPathComponent("nothing.gz")
    expectDataError(naming: direct, containing: "no such file") { _ = try IDX.readLabels(direct) }
    // The default location's message tells how to install the package.
    do {
        _ = try FashionMNIST.locate(FashionMNIST.defaultPath, "no-such-file-idx3-ubyte")
        Issue.record("expected an error")
    } catch let e as DataFileError {
        #expect(e.problem.contains("apt-get install dataset-fashion-mnist"))
    } catch {
        Issue.record("unexpected error \(error)")
    }
}
