/// Every dataset MetricBench can train and evaluate on, one line each: the
/// spec's `dataset: { name: … }` values, their keys, `metricbench dataset`
/// and `metricbench train --dataset` all come from this list.
public enum DatasetRegistry {
    public static let datasets: [RegisteredDataset] = [
        RegisteredDataset(FashionMNIST.self),
        RegisteredDataset(SyntheticData.self),
        RegisteredDataset(NPYDataset.self),
        RegisteredDataset(GlyphOptions.self),
    ]

    /// The registered dataset of `kind`.
    public static func dataset(_ kind: DatasetKind) -> RegisteredDataset? {
        datasets.first { $0.kind == kind }
    }

    /// The registered names, for messages.
    public static var names: [String] { datasets.map(\.kind.rawValue) }
}
