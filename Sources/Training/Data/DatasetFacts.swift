/// What a dataset's spec alone tells about it, without reading a file: the
/// planner's batch checks, the Slurm time estimate and the plots' legends
/// ask this instead of knowing any dataset themselves.
public struct DatasetFacts: Sendable, Equatable {
    /// Classes of the training split; nil when only the data can tell.
    public var trainClasses: Int?
    /// Samples of the training split; nil when only the data can tell.
    public var trainSamples: Int?
    /// A readable name per label (indexed by label), when the dataset has them.
    public var classNames: [String]?

    public init(trainClasses: Int? = nil, trainSamples: Int? = nil, classNames: [String]? = nil) {
        self.trainClasses = trainClasses
        self.trainSamples = trainSamples
        self.classNames = classNames
    }
}

extension DatasetSpec {
    /// The facts of this dataset that its own loader states.
    public var facts: DatasetFacts {
        switch kind {
        case .fashionMNIST: return FashionMNIST.facts(self)
        case .synthetic: return SyntheticData.facts(self)
        case .npy: return DatasetFacts()
        case .glyphs:
            // Images per class are the faces that draw it: at least min_fonts,
            // about twice that with the Debian fonts.
            let classes = glyphOptions.resolvedTrainClasses
            return DatasetFacts(trainClasses: classes, trainSamples: classes * 2 * glyphOptions.minFonts)
        }
    }
}
