import Foundation
import NumericCore
import Testing

private func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

@Test func float32MatrixRoundTripsBitwise() throws {
    let m = Matrix([[1.5, -2, 0], [Float.pi, 1e-30, -0.0]])
    let path = temporaryPath("m.npy")
    try NPY.write(m, to: path)
    let back = try NPY.readMatrix(path)
    #expect(back.rows == 2 && back.cols == 3)
    #expect(back.storage.map(\.bitPattern) == m.storage.map(\.bitPattern))
}

@Test func int64LabelsRoundTrip() throws {
    let labels: [Int32] = [0, 9, -3, Int32.max, Int32.min]
    let path = temporaryPath("l8.npy")
    try NPY.write(labels: labels, to: path, int64: true)
    guard case .int64(let shape, _) = try NPY.read(path) else { Issue.record("not an integer array"); return }
    #expect(shape == [5])
    #expect(try NPY.readLabels(path) == labels)
}

@Test func int32LabelsRoundTrip() throws {
    let labels: [Int32] = [3, 1, 4, 1, 5]
    let path = temporaryPath("l4.npy")
    try NPY.write(labels: labels, to: path, int64: false)
    #expect(try NPY.readLabels(path) == labels)
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    #expect(String(decoding: data.prefix(80), as: UTF8.self).contains("<i4"))
    #expect((data.count - 5 * 4) % 64 == 0)  // header padded to a multiple of 64 bytes
}

@Test func badMagicNamesTheFile() throws {
    let path = temporaryPath("bad.npy")
    try Data("not numpy at all".utf8).write(to: URL(fileURLWithPath: path))
    #expect { try NPY.read(path) } throws: { ($0 as? DataFileError)?.path == path }
}
