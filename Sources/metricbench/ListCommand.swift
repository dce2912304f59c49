import ArgumentParser
import ExperimentHarness
import Foundation

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Show the variants of an experiment, the skipped combinations and the run count.")

    @Argument(help: "The experiment file (YAML).") var spec: String
    @Option(help: "Results folder, to show which runs are finished (default results/<name>).") var out: String?

    func run() throws {
        try reportingErrors {
            let plan = try ExperimentPlan(SpecParser.load(spec))
            let dir = out ?? "results/\(plan.spec.name)"
            // Only reads: the folder is not created.
            let finished = Set((try? RunStore(directory: dir, create: false))?.records().records.filter { $0.status != .failed }.map(\.key) ?? [])
            let axes = plan.declaredAxes
            print("\(plan.spec.name): \(plan.variants.count) variant(s) × \(plan.spec.seeds.count) seed(s) = \(plan.runs.count) run(s)")
            print(([("id", 12)] + axes.map { ($0.rawValue, max(8, $0.rawValue.count)) } + [("done", 4)])
                .map { $0.0.padding(toLength: $0.1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
            for v in plan.variants {
                let done = plan.spec.seeds.filter { finished.contains("\(v.id)-s\($0)") }.count
                let cells = [(v.id, 12)] + axes.map { (v.configuration.value(of: $0).description, max(8, $0.rawValue.count)) }
                    + [("\(done)/\(plan.spec.seeds.count)", 4)]
                print(cells.map { $0.0.padding(toLength: $0.1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
            }
            for s in plan.skipped { print(s.note) }
            if let tune = plan.spec.tune {
                // The ids above are the sweep's; the final runs train each variant at its chosen settings.
                let tuning = try TuningPlan(plan)
                let perVariant = tuning.rungs.reduce(0) { $0 + $1.trials } * tune.folds
                let rungs = tuning.rungs.map { "\($0.trials) × \($0.epochs) ep" }.joined(separator: " → ")
                print("tuning (\(tune.search.rawValue)\(tune.multivariate ? ", multivariate" : ""): \(rungs)): \(plan.variants.count) variant(s) × \(perVariant) trial run(s) (\(tune.folds) folds) = \(plan.variants.count * perVariant) trial run(s) before the runs above, each at its variant's chosen settings")
            }
            let remaining = plan.runs.filter { !finished.contains($0.key) }.count
            print("\(plan.runs.count - remaining) of \(plan.runs.count) run(s) finished in \(dir)")
        }
    }
}
