import ArgumentParser

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "(not built yet)")
    func run() throws { throw UsageFailure("'report' is not built yet") }
}
