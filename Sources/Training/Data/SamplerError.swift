/// A batch-composition request the training split cannot satisfy.
public struct SamplerError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
