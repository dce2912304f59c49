import ArgumentParser

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "(not built yet)")
    func run() throws { throw UsageFailure("'list' is not built yet") }
}
