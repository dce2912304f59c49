import NumericCore

/// A seeded generator of many-class data (DESIGN §7), needing no files.
///
/// Class centres `c_k ~ N(0, I)` in a `latentDim`-dimensional space; a sample
/// of class k is `z = c_k + noise · ε`, mapped to the input space by a fixed
/// random two-layer tanh network, `x = tanh(z A) B / √hidden + (noise / 10) · ε'`
/// (A: latent × hidden, B: hidden × input, standard normal entries, A scaled
/// by 1/√latent). Classes `0..<trainClasses` form the training split, the rest
/// the test split, so the two are class-disjoint by construction.
enum SyntheticData {
    static func facts(_ spec: DatasetSpec) -> DatasetFacts {
        let classes = spec.split == .classDisjoint ? spec.trainClasses ?? spec.classes / 2 : spec.classes
        return DatasetFacts(trainClasses: classes, trainSamples: classes * spec.samplesPerClass)
    }

    static func generate(_ spec: DatasetSpec) throws -> Dataset {
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
        let a = normalMatrix(rows: latent, cols: hidden, scale: 1 / Double(latent).squareRoot(), rng: &mapRNG)
        let b = normalMatrix(rows: hidden, cols: input, scale: 1 / Double(hidden).squareRoot(), rng: &mapRNG)
        var centreRNG = SplitMix64.derived(seed: spec.seed, stream: 2)
        let centres = normalMatrix(rows: spec.classes, cols: latent, scale: 1, rng: &centreRNG)

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
