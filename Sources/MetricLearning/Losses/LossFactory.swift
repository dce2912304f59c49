import NumericCore

/// Builds the loss a configuration describes, after checking that the loss
/// supports the miner (`supports(_:_:)`) and that the parameters are valid.
public func makeBatchLoss(_ configuration: LossConfiguration) throws -> any BatchLoss {
    throw LossError.invalidParameter("losses are not built yet")
}
