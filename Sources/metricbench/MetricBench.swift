import ArgumentParser
import NumericCore

@main
struct MetricBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metricbench",
        abstract: "Deep metric learning experiments: train, evaluate on unseen classes, compare.",
        subcommands: [
            RunCommand.self, ListCommand.self, ReportCommand.self, CheckCommand.self,
            TrainCommand.self, EvaluateCommand.self, LossCommand.self, BenchCommand.self, SlurmCommand.self,
        ])

    static func main() {
        _idleOpenBLASThreadsSleep()
        do {
            var command = try parseAsRoot(nil)
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

/// Makes OpenBLAS's idle pool threads sleep at once instead of spinning.
///
/// After a product, OpenBLAS's workers poll (`sched_yield`) for about 2²⁸
/// cycles before they sleep. A training step alternates products with the
/// loss's own passes on the same two cores, so the polling threads took 12–18%
/// of the samples in `perf`; with `OPENBLAS_THREAD_TIMEOUT=4` (2⁴ cycles, the
/// minimum) the batch-1024 rows of `metricbench bench` gained 5–9 points of
/// their GEMM limit and no row lost beyond noise. OpenBLAS reads the variable
/// once, when it loads, so it is set here and the process re-executes itself
/// (same pid, same arguments) — unless the variable is already set, which
/// leaves the user's choice alone.
private func _idleOpenBLASThreadsSleep() {
    #if os(Linux)
    guard getenv("OPENBLAS_THREAD_TIMEOUT") == nil else { return }
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // execv returns only on failure: carry on with OpenBLAS's default.
    #endif
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
