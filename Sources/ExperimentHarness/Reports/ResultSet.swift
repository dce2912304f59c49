/// The run records of a plan, grouped by variant: the input of every report.
public struct ResultSet: Sendable {
    public var plan: ExperimentPlan
    /// Records by run key; records of runs not in the plan are left out.
    public var records: [String: RunRecord]
    /// The records that belong to no planned run (an edited spec, a foreign
    /// shard), each with the reason, sorted by key. Reports list them rather
    /// than drop them silently.
    public var unmatched: [(record: RunRecord, reason: String)]
    /// How many records belonged to no planned run.
    public var foreign: Int { unmatched.count }

    public init(plan: ExperimentPlan, records: [RunRecord]) {
        self.plan = plan
        let keys = Set(plan.runs.map(\.key))
        let variantIDs = Set(plan.variants.map(\.id))
        var byKey: [String: RunRecord] = [:]
        var unmatched: [(RunRecord, String)] = []
        for r in records {
            if keys.contains(r.key) {
                byKey[r.key] = r
            } else if variantIDs.contains(r.variantID) {
                let seeds = plan.spec.seeds.map(String.init).joined(separator: ", ")
                unmatched.append((r, "seed \(r.seed) is not among the spec's seeds [\(seeds)]"))
            } else {
                unmatched.append((r, "variant \(r.variantID) is not in the plan of \(plan.spec.file) (the spec changed since the run, or the record comes from another experiment)"))
            }
        }
        self.records = byKey
        self.unmatched = unmatched.sorted { $0.0.key < $1.0.key }
    }

    /// The records of a variant's seeds that exist.
    public func records(of variant: Variant) -> [RunRecord] {
        plan.spec.seeds.compactMap { records["\(variant.id)-s\($0)"] }
    }

    /// Values of `metric` over the variant's successful runs.
    public func values(_ metric: MetricID, of variant: Variant) -> [Double] {
        records(of: variant).filter { $0.status == .ok }.compactMap { $0.metrics[metric.name] }
    }

    /// The axes shown as columns: the four main ones, then any other axis that varies.
    public var axes: [Axis] {
        let main: [Axis] = [.loss, .mining, .batchSize, .embeddingDim]
        let others = Axis.allCases.filter { a in
            !main.contains(a) && Set(plan.variants.map { $0.configuration.value(of: a) }).count > 1
        }
        return main + others
    }
}
