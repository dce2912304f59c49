import Foundation
import NumericCore

/// Fashion-MNIST (or any MNIST-format folder) with the class-disjoint split
/// of DESIGN §7: `dataset: { name: fashion-mnist, path: …, train_classes: … }`.
///
/// Parsed files are cached for the life of the process, keyed by path: the
/// runner trains many variants on the same 70,000 images and decompressing
/// them again for each would dominate short runs.
public struct FashionMNIST: DatasetDefinition {
    public static let name = "fashion-mnist"
    /// Where Debian's `dataset-fashion-mnist` installs the files.
    public static let defaultPath = "/usr/share/datasets/fashion-mnist"
    static let classCount: Int32 = 10
    /// Training images per class in the train file.
    static let trainImagesPerClass = 6000
    /// The labels' names (Xiao, Rasul & Vollgraf 2017); only for the real data at the default path.
    static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// Folder holding `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`.
    public var path: String
    /// Classes `0..<trainClasses` train (class-disjoint split); `nil` = half.
    public var trainClasses: Int?

    public init() { self.init(path: FashionMNIST.defaultPath) }

    public init(path: String = FashionMNIST.defaultPath, trainClasses: Int? = nil) {
        self.path = path
        self.trainClasses = trainClasses
    }

    public enum SpecKeys: String, CodingKey, CaseIterable {
        case path
        case trainClasses = "train_classes"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecKeys.self)
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? FashionMNIST.defaultPath
        trainClasses = try c.decodeIfPresent(Int.self, forKey: .trainClasses)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKeys.self)
        try c.encode(path, forKey: .path)
        try c.encodeIfPresent(trainClasses, forKey: .trainClasses)
    }

    public func validate(split: SplitKind) throws {
        if let t = trainClasses, !(1..<Int(FashionMNIST.classCount)).contains(t) {
            throw DatasetError(key: "train_classes", "must be in 1...\(FashionMNIST.classCount - 1) for fashion-mnist, got \(t)")
        }
    }

    public func facts(split: SplitKind) -> DatasetFacts {
        let classes = split == .classDisjoint ? trainClasses ?? Int(FashionMNIST.classCount) / 2 : Int(FashionMNIST.classCount)
        return DatasetFacts(trainClasses: classes, trainSamples: classes * FashionMNIST.trainImagesPerClass,
                            classNames: path == FashionMNIST.defaultPath ? FashionMNIST.classNames : nil)
    }

    public var declaredShape: (input: InputShape, samples: Int) { (InputShape(channels: 1, height: 28, width: 28), 70_000) }

    public func load(split: SplitKind, cached: Bool) throws -> Dataset {
        let train = try FashionMNIST.files(path, prefix: "train")
        let test = try FashionMNIST.files(path, prefix: "t10k")
        guard train.height == test.height, train.width == test.width else {
            throw DataFileError(path: path, problem: "train images are \(train.height)×\(train.width) but t10k images are \(test.height)×\(test.width)")
        }
        let shape = InputShape(channels: 1, height: train.height, width: train.width)
        switch split {
        case .sameClasses:
            return Dataset(train: train.data, test: test.data, inputShape: shape)
        case .classDisjoint:
            let first = Int32(trainClasses ?? Int(FashionMNIST.classCount) / 2)
            guard first > 0 && first < FashionMNIST.classCount else {
                throw DatasetError("dataset.train_classes must be in 1...9 for fashion-mnist, got \(first)")
            }
            return Dataset(train: train.data.filter { $0 < first }, test: test.data.filter { $0 >= first }, inputShape: shape)
        }
    }

    public func encodeCanonical(to encoder: any Encoder) throws {
        try _DatasetLayout1.with { $0.path = path; $0.trainClasses = trainClasses }.encode(to: encoder)
    }

    public static func decodeCanonical(from decoder: any Decoder) throws -> FashionMNIST {
        let l = try _DatasetLayout1(from: decoder)
        return FashionMNIST(path: l.path, trainClasses: l.trainClasses)
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
        let standard = (folder as NSString).standardizingPath == (FashionMNIST.defaultPath as NSString).standardizingPath
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
