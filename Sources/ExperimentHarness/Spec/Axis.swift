import MetricLearning
import Training

/// A setting that `base` and `sweeps` may vary: the columns of the ablation tables.
///
/// The training and model settings are cases; every loss parameter is
/// `.parameter(key)`, its keys and kinds read from ``LossRegistry`` — a new
/// loss adds its axes without touching this file.
public enum Axis: Hashable, Sendable, CustomStringConvertible {
    case loss, mining
    case batchSize
    case embeddingDim
    case samplesPerClass
    case classesPerBatch
    case learningRate
    case epochs, optimizer, schedule
    case weightDecay
    case normalize
    case model
    /// A parameter of one or more losses, by its spec key.
    case parameter(String)

    /// The loss parameters the classic tables and plots name.
    public static let margin = Axis.parameter("margin")

    /// Every axis, in the order of report columns: what the loss is and
    /// its shape, the loss parameters, then training and model settings.
    public static var allCases: [Axis] {
        [.loss, .mining, .batchSize, .embeddingDim] + LossRegistry.parameterKeys.map { .parameter($0.name) }
            + [.samplesPerClass, .classesPerBatch, .learningRate, .epochs, .optimizer, .schedule, .weightDecay, .normalize, .model]
    }

    /// The spec key.
    public var rawValue: String {
        switch self {
        case .loss: return "loss"
        case .mining: return "mining"
        case .batchSize: return "batch_size"
        case .embeddingDim: return "embedding_dim"
        case .samplesPerClass: return "samples_per_class"
        case .classesPerBatch: return "classes_per_batch"
        case .learningRate: return "learning_rate"
        case .epochs: return "epochs"
        case .optimizer: return "optimizer"
        case .schedule: return "schedule"
        case .weightDecay: return "weight_decay"
        case .normalize: return "normalize"
        case .model: return "model"
        case .parameter(let key): return key
        }
    }

    public var description: String { rawValue }

    /// The axis of spec key `name`, or nil when no setting or loss has it.
    public init?(rawValue name: String) {
        guard let a = Axis.allCases.first(where: { $0.rawValue == name }) else { return nil }
        self = a
    }

    var kind: ParameterKind {
        switch self {
        case .loss: return .word(LossKind.allCases.map(\.rawValue))
        case .mining: return .word(MiningKind.allCases.map(\.rawValue))
        case .optimizer: return .word(OptimizerKind.allCases.map(\.rawValue))
        case .schedule: return .word(ScheduleKind.allCases.map(\.rawValue))
        case .model: return .word(ModelKind.allCases.map(\.rawValue))
        case .batchSize, .embeddingDim, .samplesPerClass, .classesPerBatch, .epochs: return .int
        case .learningRate, .weightDecay: return .double
        case .normalize: return .bool
        case .parameter(let key):
            return LossRegistry.parameterKeys.first { $0.name == key }?.kind ?? .double
        }
    }
}

/// The settings of one variant before defaults are resolved: base, then a sweep's values on top.
struct VariantDraft: Hashable {
    var values: [Axis: AxisValue] = [:]

    func int(_ a: Axis) -> Int? { if case .int(let v)? = values[a] { return v }; return nil }
    func double(_ a: Axis) -> Double? {
        switch values[a] {
        case .double(let v)?: return v
        case .int(let v)?: return Double(v)
        default: return nil
        }
    }
    func bool(_ a: Axis) -> Bool? { if case .bool(let v)? = values[a] { return v }; return nil }
    func word(_ a: Axis) -> String? { if case .string(let v)? = values[a] { return v }; return nil }

    /// The loss parameters set in this draft, by spec key.
    var lossParameters: [String: ParameterValue] {
        var out: [String: ParameterValue] = [:]
        for (axis, value) in values { if case .parameter(let key) = axis { out[key] = value } }
        return out
    }
}

extension RunConfiguration {
    /// The value a resolved configuration has on `axis` (what tables group
    /// by); `n/a` for a parameter its loss does not have.
    public func value(of axis: Axis) -> AxisValue {
        switch axis {
        case .loss: return .string(loss.loss.rawValue)
        case .mining: return .string(loss.mining.rawValue)
        case .batchSize: return .int(train.batchSize)
        case .embeddingDim: return .int(embeddingDim)
        case .samplesPerClass: return .int(train.samplesPerClass)
        case .classesPerBatch: return .int(train.batchSize / max(1, train.samplesPerClass))
        case .learningRate: return .double(train.learningRate)
        case .epochs: return .int(train.epochs)
        case .optimizer: return .string(train.optimizer.rawValue)
        case .schedule: return .string(train.schedule.rawValue)
        case .weightDecay: return .double(train.weightDecay)
        case .normalize: return .bool(model.normalize)
        case .model: return .string(model.kind.rawValue)
        case .parameter(let key): return loss.canonicalParameters[key] ?? .string("n/a")
        }
    }
}
