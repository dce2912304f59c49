import Foundation
import Testing
@testable import NumericCore

/// An `.npy` file with the given header fields and body.
private func npy(_ descr: String, shape: String, body: [UInt8] = []) -> Data {
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
    header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
    let n = header.utf8.count
    return Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8) + body)
}

private func problem(_ data: Data) -> String? {
    do { _ = try NPY.parse(data, path: "x.npy"); return nil } catch let e as DataFileError { return e.problem } catch { return "\(error)" }
}

@Test func aShapeWhoseProductOverflowsIsAnErrorNotATrap() {
    #expect(problem(npy("<f4", shape: "(4294967296, 4294967296)")) == "shape [4294967296, 4294967296] has more elements than this machine can address")
}

@Test func aShapeWhoseByteCountOverflowsIsAnError() {
    // 2⁶¹ elements fit an Int; 2⁶¹ × 8 bytes do not.
    #expect(problem(npy("<f8", shape: "(2305843009213693952,)")) == "truncated data: shape [2305843009213693952] needs more than 9223372036854775807 bytes, file has 0")
}

@Test func aHugeButCountableShapeIsTruncatedData() {
    #expect(problem(npy("<f4", shape: "(1000000000, 1000)", body: [0, 0, 0, 0])) == "truncated data: shape [1000000000, 1000] needs 4000000000000 bytes, file has 4")
}

@Test func aValidArrayStillReads() throws {
    let one: [UInt8] = [0, 0, 0x80, 0x3F]  // 1.0f
    let array = try NPY.parse(npy("<f4", shape: "(1, 2)", body: one + one), path: "x.npy")
    let m = try NPY.matrix(array, path: "x.npy")
    #expect(m.rows == 1 && m.cols == 2 && m.storage == [1, 1])
}
