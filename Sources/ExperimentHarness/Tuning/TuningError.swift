/// Folds the training classes cannot fill: too few classes to validate on, or to train on without a fold.
public enum TuningError: Error, CustomStringConvertible, Equatable {
    case tooFewClasses(classes: Int, folds: Int)
    case tooFewClassesToTrain(fold: Int, classes: Int, needed: Int)

    public var description: String {
        switch self {
        case .tooFewClasses(let classes, let folds):
            let most = classes / ValidationFolds.minimumClassesPerFold
            let fix = most >= 2 ? "set tune.folds to at most \(most)" : "use a dataset with more training classes"
            return "\(folds) class-disjoint folds need at least \(ValidationFolds.minimumClasses(folds: folds)) training classes (\(ValidationFolds.minimumClassesPerFold) per fold: the validation metrics need two classes), the training split has \(classes); \(fix)"
        case .tooFewClassesToTrain(let fold, let classes, let needed):
            return "without fold \(fold) the training part has \(classes) classes, but a batch needs \(needed) classes; use fewer folds or fewer classes per batch"
        }
    }
}
