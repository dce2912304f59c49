import Foundation

/// Rendered glyph datasets on disk, one file per fingerprint, so that a
/// second load reads bytes instead of rendering.
///
/// File layout: the 8 bytes `MBGLYPH1`, a little-endian UInt64 header length,
/// the header (JSON: everything but the images), then for the train and the
/// test split: labels (Int32), faces (Int32), pixels (bytes). Written to a
/// temporary file in the same folder and renamed, so a reader never sees a
/// partial file and concurrent writers of one fingerprint do no harm.
public struct GlyphCache: Sendable {
    public var folder: String

    public init(folder: String) { self.folder = folder }

    /// `$XDG_CACHE_HOME/metricbench` or `~/.cache/metricbench`; `nil` when
    /// neither can be named (no cache then).
    public static func user() -> GlyphCache? {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return GlyphCache(folder: xdg + "/metricbench") }
        if let home = env["HOME"], !home.isEmpty { return GlyphCache(folder: home + "/.cache/metricbench") }
        return nil
    }

    public func path(_ fingerprint: String) -> String { "\(folder)/glyphs-\(fingerprint).bin" }

    static let magic = Array("MBGLYPH1".utf8)

    struct Header: Codable {
        var fingerprint: String
        var options: GlyphOptions
        var freeTypeVersion: String
        var codePoints: [UInt32]
        var isTrainClass: [Bool]
        var faces: [GlyphFace]
        var dropped: [DroppedFace]
        var trainCount: Int
        var testCount: Int
    }

    /// The cached set, or `nil` when there is none or it is unreadable (it is rendered again then).
    public func read(_ fingerprint: String) -> GlyphSet? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path(fingerprint)), options: .alwaysMapped),
              data.count >= 16, Array(data.prefix(8)) == Self.magic else { return nil }
        return data.withUnsafeBytes { raw -> GlyphSet? in
            let headerLength = Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            guard 16 + headerLength <= raw.count,
                  let header = try? JSONDecoder().decode(Header.self, from: Data(raw[16..<(16 + headerLength)])),
                  header.fingerprint == fingerprint else { return nil }
            var offset = 16 + headerLength
            let area = header.options.size * header.options.size
            func split(_ n: Int) -> GlyphSplit? {
                let bytes = n * 8 + n * area
                guard offset + bytes <= raw.count else { return nil }
                var labels = [Int32](repeating: 0, count: n), faces = [Int32](repeating: 0, count: n)
                labels.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 4 * n)])) }
                offset += 4 * n
                faces.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 4 * n)])) }
                offset += 4 * n
                let pixels = [UInt8](UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n * area)]))
                offset += n * area
                return GlyphSplit(labels: labels.map { Int32(littleEndian: $0) }, faces: faces.map { Int32(littleEndian: $0) }, pixels: pixels)
            }
            guard let train = split(header.trainCount), let test = split(header.testCount), offset == raw.count else { return nil }
            return GlyphSet(
                fingerprint: header.fingerprint, options: header.options, freeTypeVersion: header.freeTypeVersion,
                codePoints: header.codePoints, isTrainClass: header.isTrainClass, faces: header.faces,
                dropped: header.dropped, train: train, test: test)
        }
    }

    /// Stores `set`; a cache that cannot be written is skipped (the data was
    /// rendered already, and the next load renders again).
    public func write(_ set: GlyphSet) {
        let header = Header(
            fingerprint: set.fingerprint, options: set.options, freeTypeVersion: set.freeTypeVersion,
            codePoints: set.codePoints, isTrainClass: set.isTrainClass, faces: set.faces, dropped: set.dropped,
            trainCount: set.train.count, testCount: set.test.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]  // the same set gives the same file, byte for byte
        guard let json = try? encoder.encode(header) else { return }
        var data = Data(Self.magic)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for split in [set.train, set.test] {
            split.labels.map(\.littleEndian).withUnsafeBytes { data.append(contentsOf: $0) }
            split.faces.map(\.littleEndian).withUnsafeBytes { data.append(contentsOf: $0) }
            data.append(contentsOf: split.pixels)
        }
        let final = path(set.fingerprint)
        let temporary = "\(final).\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).tmp"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, final) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
        }
    }
}
