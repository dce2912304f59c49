import MetricLearning
import Training

/// A setting that `base` and `sweeps` may vary: the columns of the ablation tables.
public enum Axis: String, CaseIterable, Codable, Sendable {
    case loss, mining
    case batchSize = "batch_size"
    case embeddingDim = "embedding_dim"
    case margin
    case posMargin = "pos_margin"
    case negMargin = "neg_margin"
    case power, distance, reducer, soft
    case samplesPerClass = "samples_per_class"
    case classesPerBatch = "classes_per_batch"
    case learningRate = "learning_rate"
    case epochs, optimizer, schedule
    case weightDecay = "weight_decay"
    case normalize
    case model

    enum Kind { case int, double, bool, word([String]) }

    var kind: Kind {
        switch self {
        case .loss: return .word(LossKind.allCases.map(\.rawValue))
        case .mining: return .word(MiningKind.allCases.map(\.rawValue))
        case .distance: return .word(DistanceKind.allCases.map(\.rawValue))
        case .reducer: return .word(ReducerKind.allCases.map(\.rawValue))
        case .optimizer: return .word(OptimizerKind.allCases.map(\.rawValue))
        case .schedule: return .word(ScheduleKind.allCases.map(\.rawValue))
        case .model: return .word(ModelKind.allCases.map(\.rawValue))
        case .batchSize, .embeddingDim, .power, .samplesPerClass, .classesPerBatch, .epochs: return .int
        case .margin, .posMargin, .negMargin, .learningRate, .weightDecay: return .double
        case .soft, .normalize: return .bool
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
}

extension RunConfiguration {
    /// The value a resolved configuration has on `axis` (what tables group by).
    public func value(of axis: Axis) -> AxisValue {
        switch axis {
        case .loss: return .string(loss.loss.rawValue)
        case .mining: return .string(loss.mining.rawValue)
        case .batchSize: return .int(train.batchSize)
        case .embeddingDim: return .int(embeddingDim)
        case .margin: return .double(loss.margin)
        case .posMargin: return .double(loss.posMargin)
        case .negMargin: return .double(loss.negMargin)
        case .power: return .int(loss.power)
        case .distance: return .string(loss.distance.rawValue)
        case .reducer: return .string(loss.reducer.rawValue)
        case .soft: return .bool(loss.soft)
        case .samplesPerClass: return .int(train.samplesPerClass)
        case .classesPerBatch: return .int(train.batchSize / max(1, train.samplesPerClass))
        case .learningRate: return .double(train.learningRate)
        case .epochs: return .int(train.epochs)
        case .optimizer: return .string(train.optimizer.rawValue)
        case .schedule: return .string(train.schedule.rawValue)
        case .weightDecay: return .double(train.weightDecay)
        case .normalize: return .bool(model.normalize)
        case .model: return .string(model.kind.rawValue)
        }
    }
}
