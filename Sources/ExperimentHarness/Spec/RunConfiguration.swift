import MetricLearning
import Training

/// The loss of one run with every default resolved, so that spelling a
/// default out in the spec does not change a variant's id.
///
/// Encoded flat (`loss`, `mining`, then the parameters by spec key) in
/// canonical form 1 (``VariantID``): the losses published before it write
/// every parameter and their legacy constants; every later loss writes only
/// the parameters off their default.
public struct ResolvedLoss: Codable, Hashable, Sendable {
    public var loss: LossKind
    public var mining: MiningKind
    /// Every parameter of the loss, by spec key, defaults filled in.
    public var parameters: [String: ParameterValue]

    public init(loss: LossKind, mining: MiningKind, parameters: [String: ParameterValue]) {
        self.loss = loss
        self.mining = mining
        self.parameters = parameters
    }

    /// The parameters the canonical form writes, and that tables group by.
    public var canonicalParameters: [String: ParameterValue] {
        guard let registered = LossRegistry.loss(loss) else { return parameters }
        if let constants = registered.legacyCanonicalConstants {
            return parameters.merging(constants) { own, _ in own }
        }
        var out: [String: ParameterValue] = [:]
        for key in registered.parameterKeys where parameters[key.name] != key.defaultValue {
            out[key.name] = parameters[key.name]
        }
        return out
    }

    /// A parameter's value (a legacy constant included), or nil when the loss has no such key.
    public func value(_ key: String) -> ParameterValue? { canonicalParameters[key] ?? parameters[key] }

    /// The loss, built for a run with `seed` on `context`.
    public func makeLoss(seed: UInt64, context: ComputeContext) throws -> any BatchLoss {
        guard let registered = LossRegistry.loss(loss) else {
            throw LossError.invalidParameter("unknown loss '\(loss)'")
        }
        return try registered.make(parameters, mining: mining, seed: seed, context: context)
    }

    struct _Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: _Key.self)
        try c.encode(loss, forKey: _Key("loss"))
        try c.encode(mining, forKey: _Key("mining"))
        for (key, value) in canonicalParameters { try c.encode(value, forKey: _Key(key)) }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: _Key.self)
        loss = try c.decode(LossKind.self, forKey: _Key("loss"))
        mining = try c.decode(MiningKind.self, forKey: _Key("mining"))
        var stored: [String: ParameterValue] = [:]
        for key in c.allKeys where key.stringValue != "loss" && key.stringValue != "mining" {
            stored[key.stringValue] = try c.decode(ParameterValue.self, forKey: key)
        }
        if let registered = LossRegistry.loss(loss), let resolved = try? registered.resolvedParameters(stored) {
            parameters = resolved
        } else {
            parameters = stored
        }
    }
}

/// Everything that determines a variant (all but the seed): its id is a hash of this.
public struct RunConfiguration: Codable, Hashable, Sendable {
    public var dataset: DatasetSpec
    public var model: ModelSpec
    public var train: TrainSpec
    public var embeddingDim: Int
    public var loss: ResolvedLoss

    enum CodingKeys: String, CodingKey {
        case dataset, model, train, loss
        case embeddingDim = "embedding_dim"
    }
}
