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
