/// The name of a registered dataset (the `dataset: { name: … }` value of specs).
///
/// A name, not a closed enum: the set of datasets is ``DatasetRegistry/datasets``,
/// so adding one touches its file, its registration line and its tests.
public struct DatasetKind: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// The kind of a registered dataset, or nil for a name no dataset has.
    public init?(rawValue: String) {
        guard DatasetRegistry.datasets.contains(where: { $0.kind.rawValue == rawValue }) else { return nil }
        self.rawValue = rawValue
    }

    init(unchecked name: String) { rawValue = name }

    /// Records name their dataset as text; a name no longer registered still decodes.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public var description: String { rawValue }

    public static let fashionMNIST = DatasetKind(unchecked: FashionMNIST.name)
    public static let synthetic = DatasetKind(unchecked: SyntheticData.name)
    public static let npy = DatasetKind(unchecked: NPYDataset.name)
    public static let glyphs = DatasetKind(unchecked: GlyphOptions.name)

    /// Every registered dataset, in registration order.
    public static var allCases: [DatasetKind] { DatasetRegistry.datasets.map(\.kind) }
}
