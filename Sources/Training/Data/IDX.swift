import CZlib
import NumericCore

/// Reader of the IDX format of MNIST, Fashion-MNIST and KMNIST
/// (gzip-compressed or plain; zlib's `gzread` reads both).
///
/// Layout: a big-endian magic `0x00000803` (unsigned-byte images, three
/// dimensions) or `0x00000801` (unsigned-byte labels, one dimension), the
/// dimension sizes as big-endian 32-bit integers, then the bytes.
public enum IDX {
    /// The images of an IDX3 file as an `n × (rows · cols)` matrix scaled to [0, 1],
    /// and the image height and width.
    public static func readImages(_ path: String) throws -> (images: Matrix, height: Int, width: Int) {
        try images(from: try readAll(path), path: path)
    }

    /// Decodes the (decompressed) bytes of an IDX3 image file; `path` is used in messages only.
    ///
    /// The sizes come from the file, so their products are computed with
    /// overflow checks: a header promising 2³² × 2³² × 2³² bytes is an error, not a trap.
    public static func images(from bytes: [UInt8], path: String) throws -> (images: Matrix, height: Int, width: Int) {
        let magic = try bigEndian32(bytes, at: 0, path: path)
        guard magic == 0x0000_0803 else {
            throw DataFileError(path: path, problem: "wrong magic number 0x\(hex(magic)); an IDX image file starts with 0x00000803")
        }
        let n = try bigEndian32(bytes, at: 4, path: path)
        let h = try bigEndian32(bytes, at: 8, path: path)
        let w = try bigEndian32(bytes, at: 12, path: path)
        let (pixels, overflow1) = h.multipliedReportingOverflow(by: w)
        let (needed, overflow2) = n.multipliedReportingOverflow(by: pixels)
        guard !overflow1, !overflow2, bytes.count - 16 >= needed else {
            let size = overflow1 || overflow2 ? "more than \(Int.max)" : "\(needed)"
            throw DataFileError(path: path, problem: "truncated: the header promises \(n) images of \(h)×\(w) (\(size) bytes), the file has \(bytes.count - 16)")
        }
        var images = Matrix(rows: n, cols: h * w)
        // A table of the correctly rounded v / 255 (multiplying by 1/255 is off by an ulp for some v).
        let table = (0..<256).map { Float($0) / 255 }
        bytes.withUnsafeBufferPointer { src in
            table.withUnsafeBufferPointer { table in
                images.storage.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<needed { dst[i] = table[Int(src[16 + i])] }
                }
            }
        }
        return (images, h, w)
    }

    /// The labels of an IDX1 file.
    public static func readLabels(_ path: String) throws -> [Int32] {
        try labels(from: try readAll(path), path: path)
    }

    /// Decodes the (decompressed) bytes of an IDX1 label file; `path` is used in messages only.
    public static func labels(from bytes: [UInt8], path: String) throws -> [Int32] {
        let magic = try bigEndian32(bytes, at: 0, path: path)
        guard magic == 0x0000_0801 else {
            throw DataFileError(path: path, problem: "wrong magic number 0x\(hex(magic)); an IDX label file starts with 0x00000801")
        }
        let n = try bigEndian32(bytes, at: 4, path: path)
        guard bytes.count - 8 >= n else {
            throw DataFileError(path: path, problem: "truncated: the header promises \(n) labels, the file has \(bytes.count - 8)")
        }
        return bytes[8..<(8 + n)].map { Int32($0) }
    }

    /// The whole (decompressed) content of `path`.
    static func readAll(_ path: String) throws -> [UInt8] {
        guard let file = gzopen(path, "rb") else {
            let missing = !_fileExists(path)
            throw DataFileError(path: path, problem: missing ? "no such file" : "cannot be opened")
        }
        defer { gzclose(file) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if got < 0 {
                // A damaged gzip stream: report it rather than parse a prefix.
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown zlib error"
                throw DataFileError(path: path, problem: "corrupt or truncated gzip data (\(message))")
            }
            if got == 0 { break }
            out.append(contentsOf: chunk[0..<Int(got)])
        }
        return out
    }

    private static func bigEndian32(_ bytes: [UInt8], at offset: Int, path: String) throws -> Int {
        guard bytes.count >= offset + 4 else {
            throw DataFileError(path: path, problem: "truncated: the file ends inside the IDX header (\(bytes.count) bytes)")
        }
        return Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
    }

    private static func hex(_ v: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 8 - s.count)) + s
    }
}

#if canImport(Glibc)
import Glibc
#endif

func _fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }
