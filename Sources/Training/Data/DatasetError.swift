/// Inconsistent dataset parameters in a spec; the message names the key.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    /// The spec key at fault (without `dataset.`), when one is.
    public let key: String?
    /// What is wrong and how to fix it, without the key.
    public let message: String

    public init(_ description: String) {
        key = nil
        message = description
    }

    /// An error about the key `key` of the dataset section (the spec parser points at its line).
    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { key.map { "dataset.\($0) \(message)" } ?? message }
}
