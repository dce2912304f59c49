import Foundation
import Testing
@testable import ExperimentHarness

// Every input the fuzzers (Fuzz/) found crashing, or that crashed a reader
// before issue 18, is kept in FuzzRegressions/<target>/ and fed to the code
// that target fuzzes. They are all bad input: each must throw, none may trap.

private let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzRegressions")

private func inputs(_ target: String) throws -> [URL] {
    let folder = regressions.appendingPathComponent(target)
    return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { folder.appendingPathComponent($0) }
}

@Test func specFuzzRegressionsAreRejected() throws {
    let files = try inputs("FuzzSpec")
    #expect(!files.isEmpty)
    for f in files {
        let text = try String(contentsOf: f, encoding: .utf8)
        #expect(throws: SpecError.self, "\(f.lastPathComponent)") { _ = try ExperimentPlan(SpecParser.parse(text, file: f.lastPathComponent)) }
    }
}

@Test func npyFuzzRegressionsAreRejected() throws {
    let files = try inputs("FuzzNPY")
    #expect(!files.isEmpty)
    for f in files {
        let data = try Data(contentsOf: f)
        #expect(throws: DataFileError.self, "\(f.lastPathComponent)") {
            let array = try NPY.parse(data, path: f.lastPathComponent)
            _ = try NPY.matrix(array, path: f.lastPathComponent)
        }
    }
}

@Test func idxFuzzRegressionsAreRejected() throws {
    let files = try inputs("FuzzIDX")
    #expect(!files.isEmpty)
    for f in files {
        let bytes = [UInt8](try Data(contentsOf: f))
        #expect(throws: DataFileError.self, "\(f.lastPathComponent)") { _ = try IDX.images(from: bytes, path: f.lastPathComponent) }
        #expect(throws: DataFileError.self, "\(f.lastPathComponent)") { _ = try IDX.labels(from: bytes, path: f.lastPathComponent) }
    }
}

@Test func csvFuzzRegressionsAreRejected() throws {
    let files = try inputs("FuzzCSV")
    #expect(!files.isEmpty)
    for f in files {
        let text = String(decoding: try Data(contentsOf: f), as: UTF8.self)
        #expect(throws: SpecError.self, "\(f.lastPathComponent)") {
            _ = try RegressionCheck.compare(current: text, baseline: text, tolerance: 0.02, baselinePath: f.lastPathComponent)
        }
    }
}
