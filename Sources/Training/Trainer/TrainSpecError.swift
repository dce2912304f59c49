/// An invalid training hyper-parameter; the message names the key.
public struct TrainSpecError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
