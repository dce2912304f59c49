/// Bad options for a Slurm job: says what is wrong and how to fix it.
public struct SlurmError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ message: String) { description = message }
}
