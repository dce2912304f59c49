/// The run records of a plan, grouped by variant: the input of every report.
public struct ResultSet: Sendable {
    public var plan: ExperimentPlan
    /// Records by run key; records of runs not in the plan are left out.
    public var records: [String: RunRecord]
    /// How many records belonged to no planned run (an edited spec, a foreign shard).
    public var foreign: Int

    public init(plan: ExperimentPlan, records: [RunRecord]) {
        self.plan = plan
        let keys = Set(plan.runs.map(\.key))
        var byKey: [String: RunRecord] = [:]
        var foreign = 0
        for r in records {
            if keys.contains(r.key) { byKey[r.key] = r } else { foreign += 1 }
        }
        self.records = byKey
        self.foreign = foreign
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
