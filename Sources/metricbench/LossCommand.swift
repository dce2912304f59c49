import ArgumentParser

struct LossCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "loss", abstract: "(not built yet)")
    func run() throws { throw UsageFailure("'loss' is not built yet") }
}
