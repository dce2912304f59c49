/// Inconsistent dataset parameters in a spec; the message names the key.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
