import Foundation

/// A dataset as the registry knows it: a value whose stored properties are
/// the dataset's spec keys (beside the common `name`, `split` and
/// `standardize`), whose `init()` holds every default, and which validates,
/// describes and loads itself. ``DatasetRegistry/datasets`` lists each once.
///
/// The spec parser, `metricbench dataset`, `metricbench train`, the
/// planner's batch checks, the memory and Slurm estimates and the plots read
/// everything they need off this protocol: adding a dataset touches its file,
/// its line in `DatasetRegistry.swift` and its tests.
public protocol DatasetDefinition: Codable, Hashable, Sendable {
    /// The `dataset: { name: … }` value of specs.
    static var name: String { get }
    /// The keys a spec may give (`CodingKey` raw values); unknown keys are errors with a did-you-mean.
    associatedtype SpecKeys: CodingKey & CaseIterable
    /// Every option at its default.
    init()
    /// Reads the options from a spec's dataset section (without `name`,
    /// `split`, `standardize`); absent keys keep their defaults. By default
    /// the `Codable` form, which is then also the spec form.
    init(specFrom decoder: any Decoder) throws
    /// Throws a ``DatasetError`` naming the key (`DatasetError(key:_:)`) when
    /// the options cannot describe a dataset with `split`.
    func validate(split: SplitKind) throws
    /// What the options alone tell, without reading a file.
    func facts(split: SplitKind) -> DatasetFacts
    /// The input shape and sample count known before any file is read (for
    /// the memory check before a run; 0 samples when only the data can tell).
    var declaredShape: (input: InputShape, samples: Int) { get }
    /// Loads (or generates) the data; `cached` lets a dataset that renders
    /// or downloads use its on-disk cache.
    func load(split: SplitKind, cached: Bool) throws -> Dataset
    /// Writes the options into the variant id's canonical form (beside
    /// `name`, `split` and `standardize`). By default the `Codable` form;
    /// datasets published before the registry keep their 2026-11 layout.
    func encodeCanonical(to encoder: any Encoder) throws
    /// Reads what ``encodeCanonical(to:)`` wrote (run records).
    static func decodeCanonical(from decoder: any Decoder) throws -> Self
}

extension DatasetDefinition {
    public init(specFrom decoder: any Decoder) throws { try self.init(from: decoder) }
    public func encodeCanonical(to encoder: any Encoder) throws { try encode(to: encoder) }
    public static func decodeCanonical(from decoder: any Decoder) throws -> Self { try Self(from: decoder) }
    /// The spec keys, in declaration order.
    public static var specKeys: [String] { SpecKeys.allCases.map(\.stringValue) }
}

/// A registered dataset, its type erased: what the spec, the runner and the
/// command line need.
public struct RegisteredDataset: Sendable {
    public let kind: DatasetKind
    /// The keys of its section beside `name`, `split` and `standardize`.
    public let specKeys: [String]
    let type: any DatasetDefinition.Type

    public init<D: DatasetDefinition>(_ dataset: D.Type) {
        kind = DatasetKind(unchecked: D.name)
        specKeys = D.specKeys
        type = dataset
    }

    /// The options at their defaults.
    public var defaults: any DatasetDefinition { type.init() }

    /// Options read from a spec section (see ``DatasetDefinition/init(specFrom:)``), not yet validated.
    public func options(specFrom decoder: any Decoder) throws -> any DatasetDefinition {
        try type.init(specFrom: decoder)
    }

    /// Options from spec keys and plain values (`metricbench train`'s
    /// options), absent keys at their defaults, not yet validated.
    public func options(specValues: [String: Any]) throws -> any DatasetDefinition {
        let decoder = JSONDecoder()
        decoder.userInfo[_SpecOptions.typeKey] = type
        return try decoder.decode(_SpecOptions.self, from: JSONSerialization.data(withJSONObject: specValues)).value
    }

    func decodeCanonical(from decoder: any Decoder) throws -> any DatasetDefinition {
        try type.decodeCanonical(from: decoder)
    }
}

/// Decodes the options of the type in `userInfo` through ``DatasetDefinition/init(specFrom:)``.
private struct _SpecOptions: Decodable {
    static let typeKey = CodingUserInfoKey(rawValue: "metricbench.datasetDefinition")!
    let value: any DatasetDefinition

    init(from decoder: any Decoder) throws {
        guard let type = decoder.userInfo[Self.typeKey] as? any DatasetDefinition.Type else {
            preconditionFailure("_SpecOptions decodes with a dataset type in userInfo")
        }
        value = try type.init(specFrom: decoder)
    }
}
