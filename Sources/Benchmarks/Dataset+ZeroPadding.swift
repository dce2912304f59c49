import NumericCore
import Training

extension Dataset {
    /// The images with `margin` zero pixels added on every side
    /// (`C × H × W` → `C × (H + 2m) × (W + 2m)`), for benchmark rows at a larger input size.
    public func zeroPadded(by margin: Int) -> Dataset {
        precondition(margin >= 0 && inputShape.isImage, "zero padding needs images and a non-negative margin")
        let s = inputShape
        let out = InputShape(channels: s.channels, height: s.height + 2 * margin, width: s.width + 2 * margin)
        func pad(_ data: LabeledData) -> LabeledData {
            var m = Matrix(rows: data.count, cols: out.count)
            for r in 0..<data.count {
                for c in 0..<s.channels {
                    for i in 0..<s.height {
                        for j in 0..<s.width {
                            m[r, (c * out.height + i + margin) * out.width + j + margin] = data.features[r, (c * s.height + i) * s.width + j]
                        }
                    }
                }
            }
            return LabeledData(features: m, labels: data.labels)
        }
        return Dataset(train: pad(train), test: pad(test), inputShape: out, fingerprint: fingerprint)
    }
}
