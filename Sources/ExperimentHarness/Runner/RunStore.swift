import Foundation

/// The `runs/` folder of a results directory: one JSON record per finished
/// run, each written atomically (temp file, fsync, rename), so a run killed
/// at any moment leaves either no record or a whole one.
///
/// Several processes may use one folder at once: a run is trained only under
/// its `RunClaim` (`runs/<key>.lock`), the temporary names hold the writer's
/// pid and a random number, and readers see only `*.json` files, which are
/// whole because they appear by rename.
public struct RunStore: Sendable {
    public let directory: String
    public var runsDirectory: String { directory + "/runs" }

    /// Opens the results folder `directory`, creating it and its `runs/` unless `create` is false.
    public init(directory: String, create: Bool = true) throws {
        self.directory = directory
        if !create { return }
        do {
            try FileManager.default.createDirectory(atPath: directory + "/runs", withIntermediateDirectories: true)
        } catch {
            throw SpecError(file: directory, line: nil, key: "", message: "cannot create the results folder: \(error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: directory + "/runs") else {
            throw SpecError(file: directory, line: nil, key: "", message: "the results folder is not writable")
        }
    }

    /// Removes temporary files and lock files a killed writer left behind; returns how many temporary records.
    ///
    /// A leftover is removed only when its run's claim can be taken: a process
    /// still writing a record holds the claim, so other sweeps of the same
    /// folder (a second `metricbench run`, the shards of a Slurm array) never
    /// delete a record while it is being written. With `keys`, only those runs' leftovers.
    @discardableResult
    public func removeLeftovers(of keys: Set<String>? = nil) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runsDirectory)) ?? []
        var removed = 0
        for n in names {
            let key: String
            if n.hasPrefix("."), let end = n.range(of: ".json.tmp") {
                key = String(n.dropFirst().prefix(upTo: end.lowerBound))
            } else if n.hasSuffix(".lock"), !n.hasPrefix(".") {
                key = String(n.dropLast(5))
            } else {
                continue
            }
            if let keys, !keys.contains(key) { continue }
            guard let claim = try? RunClaim.claim(key: key, in: runsDirectory) else { continue }
            if !n.hasSuffix(".lock"), (try? FileManager.default.removeItem(atPath: runsDirectory + "/" + n)) != nil { removed += 1 }
            // Releasing removes the lock file: a stale one (killed between publishing and releasing) goes too.
            claim.release()
        }
        return removed
    }

    /// The record of `key` if one is readable now (another process may have written it since the sweep started),
    /// and when it was written.
    public func record(_ key: String) -> (record: RunRecord, written: Date)? {
        let path = runsDirectory + "/" + key + ".json"
        guard let data = FileManager.default.contents(atPath: path),
              let record = try? JSONDecoder().decode(RunRecord.self, from: data) else { return nil }
        let written = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
        return (record, written)
    }

    /// Every readable record, sorted by key. Unreadable files are reported in `problems`.
    public func records() -> (records: [RunRecord], problems: [String]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: runsDirectory)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        var out: [RunRecord] = []
        var problems: [String] = []
        let decoder = JSONDecoder()
        for n in names {
            let path = runsDirectory + "/" + n
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                out.append(try decoder.decode(RunRecord.self, from: data))
            } catch {
                problems.append("\(path): unreadable run record (\(error)); it will be run again")
            }
        }
        return (out, problems)
    }

    /// Writes `record` as `runs/<key>.json`, atomically.
    public func write(_ record: RunRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data = try encoder.encode(record)
        let final = runsDirectory + "/" + record.key + ".json"
        let temp = runsDirectory + "/." + record.key + ".json.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard FileManager.default.createFile(atPath: temp, contents: nil) else {
            throw SpecError(file: temp, line: nil, key: "", message: "cannot create a file in the results folder")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temp))
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        guard rename(temp, final) == 0 else {
            let err = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temp)
            throw SpecError(file: final, line: nil, key: "", message: "cannot publish the run record: \(err)")
        }
    }
}
