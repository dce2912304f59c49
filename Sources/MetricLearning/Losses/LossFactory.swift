import NumericCore

/// Builds the classic loss a configuration describes, through the loss's
/// own ``LossDefinition``: its miner must be one the loss takes and its
/// parameters must be valid.
///
/// Throws `LossError.unsupported` for a combination DESIGN §4 marks n/a and
/// `LossError.invalidParameter` for a bad value or a parameter the loss
/// does not have (e.g. a distance for lifted, which is defined on the
/// euclidean distance).
public func makeBatchLoss(_ configuration: LossConfiguration, context: ComputeContext = .serial) throws -> any BatchLoss {
    guard let loss = LossRegistry.loss(configuration.loss) else {
        throw LossError.invalidParameter("unknown loss '\(configuration.loss)'")
    }
    return try loss.makeStrictly(configuration.parameterValues, mining: configuration.mining, seed: configuration.seed,
                                 context: context)
}

extension LossConfiguration {
    /// The parameters set in this configuration, by spec key.
    var parameterValues: [String: ParameterValue] {
        var v: [String: ParameterValue] = [:]
        if let margin { v["margin"] = .double(margin) }
        if let posMargin { v["pos_margin"] = .double(posMargin) }
        if let negMargin { v["neg_margin"] = .double(negMargin) }
        if let power { v["power"] = .int(power) }
        if let distance { v["distance"] = .string(distance.rawValue) }
        if let reducer { v["reducer"] = .string(reducer.rawValue) }
        if let soft { v["soft"] = .bool(soft) }
        return v
    }
}

extension RegisteredLoss {
    /// ``make(_:mining:seed:context:)`` that rejects keys this loss does not have.
    public func makeStrictly(_ values: [String: ParameterValue], mining: MiningKind, seed: UInt64 = 0,
                             context: ComputeContext = .serial) throws -> any BatchLoss {
        let own = Set(parameterKeys.map(\.name))
        // A key the loss fixes may be given at its fixed value (lifted's euclidean distance).
        let fixed = legacyCanonicalConstants ?? [:]
        if let foreign = values.keys.sorted().first(where: { !own.contains($0) && fixed[$0] != values[$0] }) {
            let list = parameterKeys.map(\.name).joined(separator: ", ")
            throw LossError.invalidParameter("loss '\(kind)' has no parameter '\(foreign)' (its parameters: \(list.isEmpty ? "none" : list))")
        }
        return try make(values.filter { own.contains($0.key) }, mining: mining, seed: seed, context: context)
    }
}
