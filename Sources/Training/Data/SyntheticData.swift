import NumericCore

/// A seeded generator of many-class data (DESIGN §7), needing no files.
///
/// Class centres `c_k ~ N(0, I)` in a `latentDim`-dimensional space; a sample
/// of class k is `z = c_k + noise · ε`, mapped to the input space by a fixed
/// random two-layer tanh network, `x = tanh(z A) B / √hidden + (noise / 10) · ε'`
/// (A: latent × hidden, B: hidden × input, standard normal entries, A scaled
/// by 1/√latent). Classes `0..<trainClasses` form the training split, the rest
/// the test split, so the two are class-disjoint by construction.
public struct SyntheticData: DatasetDefinition {
    public static let name = "synthetic"

    public var classes: Int
    /// Classes `0..<trainClasses` train, the rest test; `nil` = half.
    public var trainClasses: Int?
    public var samplesPerClass: Int
    public var inputDim: Int
    public var latentDim: Int
    /// Standard deviation of a sample around its class centre in the latent space
    /// (centres are standard normal); a tenth of it is added as input-space noise.
    public var noise: Double
    public var seed: UInt64

    public init() { self.init(classes: 200) }

    public init(classes: Int = 200, trainClasses: Int? = nil, samplesPerClass: Int = 20,
                inputDim: Int = 64, latentDim: Int = 16, noise: Double = 0.3, seed: UInt64 = 0) {
        self.classes = classes
        self.trainClasses = trainClasses
        self.samplesPerClass = samplesPerClass
        self.inputDim = inputDim
        self.latentDim = latentDim
        self.noise = noise
        self.seed = seed
    }

    public enum SpecKeys: String, CodingKey, CaseIterable {
        case classes
        case trainClasses = "train_classes", samplesPerClass = "samples_per_class"
        case inputDim = "input_dim", latentDim = "latent_dim", noise, seed
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecKeys.self)
        let d = SyntheticData()
        classes = try c.decodeIfPresent(Int.self, forKey: .classes) ?? d.classes
        trainClasses = try c.decodeIfPresent(Int.self, forKey: .trainClasses)
        samplesPerClass = try c.decodeIfPresent(Int.self, forKey: .samplesPerClass) ?? d.samplesPerClass
        inputDim = try c.decodeIfPresent(Int.self, forKey: .inputDim) ?? d.inputDim
        latentDim = try c.decodeIfPresent(Int.self, forKey: .latentDim) ?? d.latentDim
        noise = try c.decodeIfPresent(Double.self, forKey: .noise) ?? d.noise
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKeys.self)
        try c.encode(classes, forKey: .classes)
        try c.encodeIfPresent(trainClasses, forKey: .trainClasses)
        try c.encode(samplesPerClass, forKey: .samplesPerClass)
        try c.encode(inputDim, forKey: .inputDim)
        try c.encode(latentDim, forKey: .latentDim)
        try c.encode(noise, forKey: .noise)
        try c.encode(seed, forKey: .seed)
    }

    public func validate(split: SplitKind) throws {
        for (key, value, least) in [("classes", classes, 4), ("samples_per_class", samplesPerClass, 2),
                                    ("input_dim", inputDim, 1), ("latent_dim", latentDim, 1)] where value < least {
            throw DatasetError(key: key, "must be at least \(least), found \(value)")
        }
        if let t = trainClasses {
            guard t >= 2 else { throw DatasetError(key: "train_classes", "must be at least 2, found \(t)") }
            guard t < classes else {
                throw DatasetError(key: "train_classes", "must be below 'classes' (\(classes)): the rest are the unseen test classes")
            }
        }
        guard noise >= 0, noise.isFinite else { throw DatasetError(key: "noise", "must be a finite number ≥ 0, found \(noise)") }
    }

    public func facts(split: SplitKind) -> DatasetFacts {
        let classes = split == .classDisjoint ? trainClasses ?? self.classes / 2 : self.classes
        return DatasetFacts(trainClasses: classes, trainSamples: classes * samplesPerClass)
    }

    public var declaredShape: (input: InputShape, samples: Int) {
        let (samples, overflow) = classes.multipliedReportingOverflow(by: samplesPerClass)
        return (InputShape(flat: inputDim), overflow ? Int.max : samples)
    }

    public func load(split: SplitKind, cached: Bool) throws -> Dataset { try generate() }

    public func encodeCanonical(to encoder: any Encoder) throws {
        try _DatasetLayout1.with {
            $0.classes = classes; $0.trainClasses = trainClasses; $0.samplesPerClass = samplesPerClass
            $0.inputDim = inputDim; $0.latentDim = latentDim; $0.noise = noise; $0.seed = seed
        }.encode(to: encoder)
    }

    public static func decodeCanonical(from decoder: any Decoder) throws -> SyntheticData {
        let l = try _DatasetLayout1(from: decoder)
        return SyntheticData(classes: l.classes, trainClasses: l.trainClasses, samplesPerClass: l.samplesPerClass,
                             inputDim: l.inputDim, latentDim: l.latentDim, noise: l.noise, seed: l.seed)
    }

    func generate() throws -> Dataset {
        let spec = self
        let trainClasses = spec.trainClasses ?? spec.classes / 2
        guard spec.classes >= 2 else { throw DatasetError("dataset.classes must be at least 2, got \(spec.classes)") }
        guard trainClasses >= 1 && trainClasses < spec.classes else {
            throw DatasetError("dataset.train_classes must be in 1..<\(spec.classes), got \(trainClasses)")
        }
        guard spec.samplesPerClass >= 1, spec.inputDim >= 1, spec.latentDim >= 1 else {
            throw DatasetError("dataset.samples_per_class, input_dim and latent_dim must be positive")
        }
        guard spec.noise >= 0, spec.noise.isFinite else { throw DatasetError("dataset.noise must be ≥ 0, got \(spec.noise)") }

        let latent = spec.latentDim, hidden = max(spec.inputDim, 2 * latent), input = spec.inputDim
        var mapRNG = SplitMix64.derived(seed: spec.seed, stream: 1)
        let a = SyntheticData.normalMatrix(rows: latent, cols: hidden, scale: 1 / Double(latent).squareRoot(), rng: &mapRNG)
        let b = SyntheticData.normalMatrix(rows: hidden, cols: input, scale: 1 / Double(hidden).squareRoot(), rng: &mapRNG)
        var centreRNG = SplitMix64.derived(seed: spec.seed, stream: 2)
        let centres = SyntheticData.normalMatrix(rows: spec.classes, cols: latent, scale: 1, rng: &centreRNG)

        func split(_ classRange: Range<Int>, stream: UInt64) -> LabeledData {
            var rng = SplitMix64.derived(seed: spec.seed, stream: stream)
            let n = classRange.count * spec.samplesPerClass
            var z = Matrix(rows: n, cols: latent)
            var labels = [Int32](repeating: 0, count: n)
            var r = 0
            for k in classRange {
                for _ in 0..<spec.samplesPerClass {
                    for j in 0..<latent { z[r, j] = centres[k, j] + Float(spec.noise * rng.nextNormal()) }
                    labels[r] = Int32(k)
                    r += 1
                }
            }
            var h = BLAS.product(z, .none, a, .none)
            for i in h.storage.indices { h.storage[i] = tanhf(h.storage[i]) }
            var x = BLAS.product(h, .none, b, .none)
            let inputNoise = spec.noise / 10
            for i in x.storage.indices { x.storage[i] += Float(inputNoise * rng.nextNormal()) }
            return LabeledData(features: x, labels: labels)
        }
        return Dataset(train: split(0..<trainClasses, stream: 3),
                       test: split(trainClasses..<spec.classes, stream: 4),
                       inputShape: InputShape(flat: input))
    }

    static func normalMatrix(rows: Int, cols: Int, scale: Double, rng: inout SplitMix64) -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        for i in m.storage.indices { m.storage[i] = Float(scale * rng.nextNormal()) }
        return m
    }
}

#if canImport(Glibc)
import Glibc
#endif
