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
