import CZlib
import Foundation
import NumericCore
import Testing
@testable import Training

/// Writes `bytes` gzip-compressed to `path`.
private func writeGzip(_ bytes: [UInt8], to path: String) {
    let file = gzopen(path, "wb")!
    _ = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    gzclose(file)
}

private func labelFile(_ labels: [UInt8]) -> [UInt8] {
    [0, 0, 8, 1] + withUnsafeBytes(of: UInt32(labels.count).bigEndian, Array.init) + labels
}

@Test func gzipIDXFilesRoundTrip() throws {
    let dir = temporaryDirectory("gzip")
    let path = dir + "/labels.gz"
    writeGzip(labelFile([3, 1, 4, 1, 5]), to: path)
    #expect(try IDX.readLabels(path) == [3, 1, 4, 1, 5])
}

@Test func truncatedGzipIsReportedWithTheFile() throws {
    let dir = temporaryDirectory("gzip-truncated")
    let whole = dir + "/whole.gz", cut = dir + "/cut.gz"
    var rng = SplitMix64(seed: 1)
    writeGzip(labelFile((0..<5000).map { _ in UInt8(rng.nextInt(below: 256)) }), to: whole)
    let data = try Data(contentsOf: URL(fileURLWithPath: whole))
    try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
    do {
        _ = try IDX.readLabels(cut)
        Issue.record("expected an error")
    } catch let e as DataFileError {
        #expect(e.path == cut)
        #expect(e.problem.contains("truncated"), "problem: \(e.problem)")
    }
}
