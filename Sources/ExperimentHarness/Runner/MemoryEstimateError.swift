/// A run too large for the machine, by `MemoryEstimate`.
public struct MemoryEstimateError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
