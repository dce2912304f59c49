import Foundation
import NumericCore

/// Fashion-MNIST (or any MNIST-format folder) with the class-disjoint split of DESIGN §7.
///
/// Parsed files are cached for the life of the process, keyed by path: the
/// runner trains many variants on the same 70,000 images and decompressing
/// them again for each would dominate short runs.
enum FashionMNIST {
    static let classCount: Int32 = 10
    /// Training images per class in the train file.
    static let trainImagesPerClass = 6000
    /// The labels' names (Xiao, Rasul & Vollgraf 2017); only for the real data at the default path.
    static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    static func facts(_ spec: DatasetSpec) -> DatasetFacts {
        let classes = spec.split == .classDisjoint ? spec.trainClasses ?? Int(classCount) / 2 : Int(classCount)
        return DatasetFacts(trainClasses: classes, trainSamples: classes * trainImagesPerClass,
                            classNames: spec.path == DatasetSpec.defaultFashionMNISTPath ? classNames : nil)
    }

    static func load(_ spec: DatasetSpec) throws -> Dataset {
        let train = try files(spec.path, prefix: "train")
        let test = try files(spec.path, prefix: "t10k")
        guard train.height == test.height, train.width == test.width else {
            throw DataFileError(path: spec.path, problem: "train images are \(train.height)×\(train.width) but t10k images are \(test.height)×\(test.width)")
        }
        let shape = InputShape(channels: 1, height: train.height, width: train.width)
        switch spec.split {
        case .sameClasses:
            return Dataset(train: train.data, test: test.data, inputShape: shape)
        case .classDisjoint:
            let first = Int32(spec.trainClasses ?? Int(classCount) / 2)
            guard first > 0 && first < classCount else {
                throw DatasetError("dataset.train_classes must be in 1...9 for fashion-mnist, got \(first)")
            }
            return Dataset(train: train.data.filter { $0 < first }, test: test.data.filter { $0 >= first }, inputShape: shape)
        }
    }

    /// The images and labels of `<folder>/<prefix>-{images-idx3,labels-idx1}-ubyte[.gz]`.
    static func files(_ folder: String, prefix: String) throws -> (data: LabeledData, height: Int, width: Int) {
        let imagesPath = try locate(folder, "\(prefix)-images-idx3-ubyte")
        let labelsPath = try locate(folder, "\(prefix)-labels-idx1-ubyte")
        return try IDXCache.shared.value(for: imagesPath + "|" + labelsPath) {
            let (images, h, w) = try IDX.readImages(imagesPath)
            let labels = try IDX.readLabels(labelsPath)
            guard images.rows == labels.count else {
                throw DataFileError(path: labelsPath, problem: "has \(labels.count) labels but \(imagesPath) has \(images.rows) images")
            }
            return (LabeledData(features: images, labels: labels), h, w)
        }
    }

    /// `name.gz` if it exists, else the uncompressed `name`; a clear error otherwise.
    static func locate(_ folder: String, _ name: String) throws -> String {
        let gz = (folder as NSString).appendingPathComponent(name + ".gz")
        let plain = (folder as NSString).appendingPathComponent(name)
        if _fileExists(gz) { return gz }
        if _fileExists(plain) { return plain }
        let standard = (folder as NSString).standardizingPath == (DatasetSpec.defaultFashionMNISTPath as NSString).standardizingPath
        let hint = standard
            ? "Fashion-MNIST is not installed; install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)"
            : "no such file (nor \(name)); dataset.path must be a folder of MNIST-format IDX files"
        throw DataFileError(path: gz, problem: hint)
    }
}

/// The process-wide cache of parsed IDX file pairs (thread-safe).
final class IDXCache: @unchecked Sendable {
    static let shared = IDXCache()
    typealias Entry = (data: LabeledData, height: Int, width: Int)

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    /// The cached entry for `key`, parsing it with `make` on first use.
    ///
    /// The lock is held while parsing so that concurrent runs wait for one
    /// parse instead of each doing their own.
    func value(for key: String, make: () throws -> Entry) throws -> Entry {
        lock.lock()
        defer { lock.unlock() }
        if let e = entries[key] { return e }
        let e = try make()
        entries[key] = e
        return e
    }
}
