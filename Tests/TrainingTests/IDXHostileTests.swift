import Foundation
import NumericCore
import Testing
@testable import Training

private func bigEndian(_ values: [UInt32]) -> [UInt8] {
    values.flatMap { v in [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}

@Test func idxDimensionsWhoseProductOverflowsAreAnErrorNotATrap() throws {
    let bytes = bigEndian([0x803, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF])
    #expect(throws: DataFileError(path: "x", problem: "truncated: the header promises 4294967295 images of 4294967295×4294967295 (more than 9223372036854775807 bytes), the file has 0")) {
        try IDX.images(from: bytes, path: "x")
    }
}

@Test func idxHugeButCountableDimensionsAreTruncated() throws {
    let bytes = bigEndian([0x803, 60_000, 28_000, 28_000]) + [1, 2, 3]
    #expect(throws: DataFileError(path: "x", problem: "truncated: the header promises 60000 images of 28000×28000 (47040000000000 bytes), the file has 3")) {
        try IDX.images(from: bytes, path: "x")
    }
    #expect(throws: DataFileError(path: "x", problem: "truncated: the header promises 4294967295 labels, the file has 0")) {
        try IDX.labels(from: bigEndian([0x801, 0xFFFF_FFFF]), path: "x")
    }
}

@Test func idxSmallImagesStillRead() throws {
    let (m, h, w) = try IDX.images(from: bigEndian([0x803, 1, 1, 2]) + [0, 255], path: "x")
    #expect(h == 1 && w == 2 && m.storage == [0, 1])
}
