import Foundation

/// An error reading or writing a data file; the message names the file.
public struct DataFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

/// NumPy `.npy` files, format 1.0 (and reading 2.0/3.0 headers), little-endian, C order.
///
/// Reads `<f4`, `<f8` (converted to Float), `<i4`, `<i8`, `|u1`; writes `<f4`, `<i4`, `<i8`.
public enum NPY {
    /// The contents of an `.npy` array: shape and values.
    public enum Array {
        case float32(shape: [Int], values: [Float])
        case int64(shape: [Int], values: [Int64])

        public var shape: [Int] {
            switch self {
            case .float32(let s, _), .int64(let s, _): return s
            }
        }
    }

    /// Reads a 2-D float array as a matrix (1-D arrays become one column).
    public static func readMatrix(_ path: String) throws -> Matrix {
        try matrix(try read(path), path: path)
    }

    /// `array` as a matrix (1-D arrays become one column); `path` is used in messages only.
    public static func matrix(_ array: Array, path: String) throws -> Matrix {
        let shape = array.shape
        guard shape.count == 2 || shape.count == 1 else {
            throw DataFileError(path: path, problem: "expected a 2-D array (rows × features), found shape \(shape)")
        }
        let rows = shape[0], cols = shape.count == 2 ? shape[1] : 1
        switch array {
        case .float32(_, let v): return Matrix(rows: rows, cols: cols, storage: v)
        case .int64(_, let v): return Matrix(rows: rows, cols: cols, storage: v.map(Float.init))
        }
    }

    /// Reads a 1-D integer array (labels). Float arrays holding whole numbers are accepted.
    public static func readLabels(_ path: String) throws -> [Int32] {
        try labels(try read(path), path: path)
    }

    /// `array` as labels (1-D, or one column); `path` is used in messages only.
    public static func labels(_ array: Array, path: String) throws -> [Int32] {
        guard array.shape.count == 1 || (array.shape.count == 2 && array.shape[1] == 1) else {
            throw DataFileError(path: path, problem: "expected a 1-D array of labels, found shape \(array.shape)")
        }
        switch array {
        case .int64(_, let v):
            return try v.map { x in
                guard let y = Int32(exactly: x) else { throw DataFileError(path: path, problem: "label \(x) does not fit in 32 bits") }
                return y
            }
        case .float32(_, let v):
            return try v.map { x in
                guard x.isFinite, x == x.rounded(), let y = Int32(exactly: x) else {
                    throw DataFileError(path: path, problem: "label \(x) is not an integer")
                }
                return y
            }
        }
    }

    /// Reads any supported `.npy` file.
    public static func read(_ path: String) throws -> Array {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataFileError(path: path, problem: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        return try parse(data, path: path)
    }

    /// Decodes the bytes of an `.npy` file; `path` is used in messages only.
    ///
    /// Every size is checked with overflow-reporting arithmetic before it is
    /// used, so a header promising an absurd shape is an error naming the
    /// file, never a trap or an allocation attempt.
    public static func parse(_ data: Data, path: String) throws -> Array {
        let bytes = [UInt8](data)
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, Swift.Array(bytes[0..<6]) == magic else {
            throw DataFileError(path: path, problem: "not a .npy file (bad magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else if major == 2 || major == 3 {
            guard bytes.count >= 12 else { throw DataFileError(path: path, problem: "truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        } else {
            throw DataFileError(path: path, problem: "unsupported .npy format version \(major)")
        }
        // A v2/v3 length is a 32-bit field: on a 64-bit Int the sum cannot overflow.
        guard bytes.count >= headerStart + headerLength else {
            throw DataFileError(path: path, problem: "truncated header")
        }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8) else {
            throw DataFileError(path: path, problem: "header is not text")
        }
        let descr = try field("descr", in: header, path: path)
        let fortran = try field("fortran_order", in: header, path: path)
        let shapeText = try field("shape", in: header, path: path)
        guard fortran.hasPrefix("False") else {
            throw DataFileError(path: path, problem: "Fortran-order arrays are not supported; save with np.ascontiguousarray")
        }
        let dims = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for d in dims {
            guard let v = Int(d), v >= 0 else { throw DataFileError(path: path, problem: "bad shape \(shapeText)") }
            shape.append(v)
        }
        guard let count = Self.elementCount(shape) else {
            throw DataFileError(path: path, problem: "shape \(shape) has more elements than this machine can address")
        }
        let body = headerStart + headerLength
        let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        let width: Int
        switch dtype {
        case "<f4", "<i4": width = 4
        case "<f8", "<i8": width = 8
        case "|u1", "|i1", "<u1": width = 1
        default:
            throw DataFileError(path: path, problem: "unsupported dtype \(dtype); use float32, int32 or int64 (little-endian)")
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow, bytes.count - body >= needed else {
            let size = overflow ? "more than \(Int.max)" : "\(needed)"
            throw DataFileError(path: path, problem: "truncated data: shape \(shape) needs \(size) bytes, file has \(bytes.count - body)")
        }
        return bytes.withUnsafeBytes { raw -> Array in
            let p = raw.baseAddress! + body
            switch dtype {
            case "<f4":
                return .float32(shape: shape, values: (0..<count).map { Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) })
            case "<f8":
                return .float32(shape: shape, values: (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) })
            case "<i4":
                return .int64(shape: shape, values: (0..<count).map { Int64(Int32(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) })
            case "<i8":
                return .int64(shape: shape, values: (0..<count).map { Int64(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) })
            case "|i1":
                return .int64(shape: shape, values: (0..<count).map { Int64(Int8(bitPattern: p.load(fromByteOffset: $0, as: UInt8.self))) })
            default:
                return .int64(shape: shape, values: (0..<count).map { Int64(p.load(fromByteOffset: $0, as: UInt8.self)) })
            }
        }
    }

    /// The product of `shape`, or nil when it overflows `Int`.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            count = p
        }
        return count
    }

    private static func field(_ key: String, in header: String, path: String) throws -> String {
        guard let r = header.range(of: "'\(key)':") else {
            throw DataFileError(path: path, problem: "header lacks '\(key)'")
        }
        var rest = header[r.upperBound...].drop { $0 == " " }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { throw DataFileError(path: path, problem: "bad shape in header") }
            return String(rest[...close])
        }
        if let comma = rest.firstIndex(where: { $0 == "," || $0 == "}" }) { rest = rest[..<comma] }
        return String(rest)
    }

    /// Writes a float32 matrix as a 2-D `<f4` array.
    public static func write(_ matrix: Matrix, to path: String) throws {
        var body = [UInt8]()
        body.reserveCapacity(matrix.count * 4)
        for v in matrix.storage { withUnsafeBytes(of: v.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
        try write(descr: "<f4", shape: [matrix.rows, matrix.cols], body: body, to: path)
    }

    /// Writes an integer vector as `<i8` (default) or `<i4`.
    public static func write(labels: [Int32], to path: String, int64: Bool = true) throws {
        var body = [UInt8]()
        for v in labels {
            if int64 {
                withUnsafeBytes(of: Int64(v).littleEndian) { body.append(contentsOf: $0) }
            } else {
                withUnsafeBytes(of: v.littleEndian) { body.append(contentsOf: $0) }
            }
        }
        try write(descr: int64 ? "<i8" : "<i4", shape: [labels.count], body: body, to: path)
    }

    static func write(descr: String, shape: [Int], body: [UInt8], to path: String) throws {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad so that magic + version + length + header + "\n" is a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let n = header.utf8.count
        out.append(UInt8(n & 0xFF))
        out.append(UInt8(n >> 8))
        out.append(contentsOf: header.utf8)
        out.append(contentsOf: body)
        do {
            try Data(out).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DataFileError(path: path, problem: "cannot write: \(error.localizedDescription)")
        }
    }
}
