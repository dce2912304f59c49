import ExperimentHarness
import Foundation

/// Checks of command-line values, run before a command writes anything, so
/// that bad input exits with status 2 and leaves every folder as it was.
enum OptionChecks {
    /// `value` ≥ 1, or a usage error naming `option`.
    static func atLeastOne(_ value: Int, _ option: String) throws {
        guard value >= 1 else { throw UsageFailure("\(option) must be at least 1, got \(value)") }
    }

    /// A folder the command may create and write reports into.
    ///
    /// Rejects the empty path (an unset shell variable: `--out "$OUT"`), the
    /// filesystem root, and a path that exists but is not a folder.
    static func resultsFolder(_ path: String, option: String = "--out") throws {
        let trimmed = path.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw UsageFailure("\(option) is empty (an unset shell variable?); give the results folder, e.g. \(option) results/my-sweep")
        }
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        guard standardized != "/" else {
            throw UsageFailure("\(option) '\(path)' is the filesystem root; give a folder of its own, e.g. \(option) results/my-sweep")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw UsageFailure("\(option) '\(path)' is an existing file, not a folder; give a folder for the results")
        }
    }

    /// A file the command will write at the end: checked first, so a long run does not end in "cannot write".
    static func outputFile(_ path: String, option: String) throws {
        guard !path.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw UsageFailure("\(option) is empty (an unset shell variable?); give a file name, e.g. \(option) out.npy")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw UsageFailure("\(option) '\(path)' is a folder; give a file name, e.g. \(option) out.npy")
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageFailure("\(option) '\(path)': the folder \(parent) does not exist")
        }
    }
}
