import NumericCore
import Training

/// The training classes of a dataset and nothing else: the only data the
/// tuning code is given.
///
/// It has no test split to reach: `load` keeps the training split of the
/// loaded dataset and drops the rest, so a search cannot select on test
/// classes by mistake or by design (issue 14: "structurally, not by convention").
public struct TrainingClasses: Sendable {
    public let data: LabeledData
    public let inputShape: InputShape
    public let fingerprint: String?

    public init(data: LabeledData, inputShape: InputShape, fingerprint: String? = nil) {
        self.data = data
        self.inputShape = inputShape
        self.fingerprint = fingerprint
    }

    /// The training split of the dataset `spec` names (shared with the runs of this process).
    public static func load(_ spec: DatasetSpec) throws -> TrainingClasses {
        let dataset = try DatasetCache.shared.dataset(spec)
        return TrainingClasses(data: dataset.train, inputShape: dataset.inputShape, fingerprint: dataset.fingerprint)
    }

    /// The training part (every class outside fold `index`) and the validation part (the fold's classes).
    public func split(_ folds: ValidationFolds, fold index: Int) -> (train: LabeledData, validation: LabeledData) {
        let held = Set(folds.classes[index])
        return (data.filter { !held.contains($0) }, data.filter { held.contains($0) })
    }
}
