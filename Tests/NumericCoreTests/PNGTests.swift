import CZlib
import Foundation
import NumericCore
import Testing

/// CRC-32 (IEEE, reflected, polynomial 0xEDB88320) bit by bit: the reference for the chunk checksums.
private func referenceCRC(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
    }
    return ~c
}

private func bigEndian(_ b: ArraySlice<UInt8>) -> Int {
    b.reduce(0) { $0 << 8 | Int($1) }
}

@Test func pngChunksCarryTheImageAndValidChecksums() throws {
    let width = 5, height = 3
    let pixels: [UInt8] = (0..<(width * height)).map { UInt8($0 * 17) }
    let png = [UInt8](PNG.grey(width: width, height: height, pixels: pixels))
    #expect(Array(png[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    var offset = 8
    var chunks: [(String, [UInt8])] = []
    while offset < png.count {
        let length = bigEndian(png[offset..<(offset + 4)])
        let typed = Array(png[(offset + 4)..<(offset + 8 + length)])
        let crc = UInt32(bigEndian(png[(offset + 8 + length)..<(offset + 12 + length)]))
        #expect(crc == referenceCRC(typed))
        chunks.append((String(decoding: typed[0..<4], as: UTF8.self), Array(typed[4...])))
        offset += 12 + length
    }
    #expect(chunks.map(\.0) == ["IHDR", "IDAT", "IEND"])
    let header = chunks[0].1
    #expect(bigEndian(header[0..<4]) == width && bigEndian(header[4..<8]) == height)
    #expect(Array(header[8...]) == [8, 0, 0, 0, 0])
    // Inflate the rows: each is filter byte 0 followed by the pixels.
    var raw = [UInt8](repeating: 0, count: (width + 1) * height)
    var rawLength = uLong(raw.count)
    #expect(uncompress(&raw, &rawLength, chunks[1].1, uLong(chunks[1].1.count)) == Z_OK)
    #expect(Int(rawLength) == raw.count)
    for y in 0..<height {
        #expect(raw[y * (width + 1)] == 0)
        #expect(Array(raw[(y * (width + 1) + 1)..<((y + 1) * (width + 1))]) == Array(pixels[(y * width)..<((y + 1) * width)]))
    }
}
