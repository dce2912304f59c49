import ArgumentParser
import NumericCore

@main
struct MetricBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metricbench",
        abstract: "Deep metric learning experiments: train, evaluate on unseen classes, compare.",
        subcommands: [
            RunCommand.self, ListCommand.self, ReportCommand.self, CheckCommand.self, CompareCommand.self,
            TrainCommand.self, EvaluateCommand.self, LossCommand.self, BenchCommand.self, SlurmCommand.self, DatasetCommand.self,
        ])

    static func main() {
        do {
            var command = try parseAsRoot(joiningNegativeNumbers(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            // ArgumentParser's own usage errors exit 64 (EX_USAGE); this tool's contract is 2 for every bad input.
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// `--jobs -1` as `--jobs=-1`: ArgumentParser reads a lone "-1" as a short
/// option and would answer "Missing value for '--jobs'"; joined, the value
/// reaches the command's own range check, which names it.
func joiningNegativeNumbers(_ arguments: [String]) -> [String] {
    var out: [String] = []
    var i = 0
    while i < arguments.count {
        let a = arguments[i]
        if a == "--" { out += arguments[i...]; break }
        if a.hasPrefix("--"), !a.contains("="), i + 1 < arguments.count, _looksNegative(arguments[i + 1]) {
            out.append(a + "=" + arguments[i + 1])
            i += 2
        } else {
            out.append(a)
            i += 1
        }
    }
    return out
}

/// "-1", "-0.5", "-.5", "-1/2", "-inf", "-nan": a value, not an option (no option of this tool starts so).
private func _looksNegative(_ s: String) -> Bool {
    guard s.hasPrefix("-"), s.count > 1 else { return false }
    let rest = s.dropFirst()
    return rest.first!.isNumber || rest.hasPrefix(".") || rest.lowercased() == "inf" || rest.lowercased() == "nan"
}

/// The error a command reports for bad user input: printed without a stack, exit status 2.
struct UsageFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

extension ParsableCommand {
    /// Runs `body`, turning thrown user errors into a one-line message and exit status 2.
    func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as ExitCode {
            throw e
        } catch let e as CleanExit {
            throw e
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

import Foundation
