import NumericCore

/// User-supplied features and labels in `.npy` files (DESIGN §7): either
/// separate train and test files, or one pair split by label
/// (`labels < test_classes_from` train, the rest test).
enum NPYDataset {
    static func load(_ spec: DatasetSpec) throws -> Dataset {
        if let features = spec.features {
            guard let labels = spec.labels else { throw DatasetError("dataset.features is set but dataset.labels is not") }
            guard let boundary = spec.testClassesFrom else {
                throw DatasetError("dataset.features/labels need dataset.test_classes_from (labels below it train, the others test)")
            }
            let all = try pair(features, labels)
            let b = Int32(boundary)
            let train = all.filter { $0 < b }, test = all.filter { $0 >= b }
            guard train.count > 0, test.count > 0 else {
                throw DatasetError("dataset.test_classes_from = \(boundary) leaves an empty split (labels \(all.classes.first ?? 0)...\(all.classes.last ?? 0) in \(labels))")
            }
            return Dataset(train: train, test: test, inputShape: InputShape(flat: all.features.cols))
        }
        guard let trF = spec.trainFeatures, let trL = spec.trainLabels, let teF = spec.testFeatures, let teL = spec.testLabels else {
            throw DatasetError("an npy dataset needs train_features, train_labels, test_features and test_labels, or features, labels and test_classes_from")
        }
        let train = try pair(trF, trL), test = try pair(teF, teL)
        guard train.features.cols == test.features.cols else {
            throw DataFileError(path: teF, problem: "has \(test.features.cols) features per row but \(trF) has \(train.features.cols)")
        }
        return Dataset(train: train, test: test, inputShape: InputShape(flat: train.features.cols))
    }

    static func pair(_ featuresPath: String, _ labelsPath: String) throws -> LabeledData {
        let features = try NPY.readMatrix(featuresPath)
        let labels = try NPY.readLabels(labelsPath)
        guard features.rows == labels.count else {
            throw DataFileError(path: labelsPath, problem: "has \(labels.count) labels but \(featuresPath) has \(features.rows) rows")
        }
        guard features.isFinite else { throw DataFileError(path: featuresPath, problem: "contains NaN or infinite values") }
        return LabeledData(features: features, labels: labels)
    }
}
