import NumericCore

/// One differentiable stage of an embedding network, llm.c style.
///
/// A layer owns its output and input-gradient workspaces and reuses them from
/// step to step (they only ever grow), so a training step allocates nothing.
/// Layers are classes for that reason: a value-typed layer stored in an array
/// of existentials would copy its multi-megabyte workspaces on mutation.
///
/// Inputs and outputs are `B × features` matrices, one sample per row.
/// `forward` keeps what `backward` needs (besides the input, which the caller
/// passes again so that no layer holds a second reference to another layer's
/// buffer, which would force a copy-on-write every step).
public protocol Layer: AnyObject {
    /// Features per sample produced by `forward`.
    var outputWidth: Int { get }
    /// The result of the last `forward`.
    var output: Matrix { get }
    /// dLoss/dInput from the last `backward` (unspecified when it was not requested).
    var inputGradient: Matrix { get }

    /// Computes `output` from `input` (`B × inputWidth`).
    func forward(_ input: Matrix)

    /// Given the input of the last `forward` and dLoss/dOutput, computes the
    /// parameter gradients — overwritten when `accumulate` is false, added to
    /// when true — and, if `needInputGradient`, `inputGradient`.
    func backward(input: Matrix, outputGradient: Matrix, needInputGradient: Bool, accumulate: Bool)

    /// Calls `body(values, gradients)` for each parameter tensor, in a fixed order.
    func visitParameters(_ body: (inout [Float], inout [Float]) -> Void)
}

extension Layer {
    public func visitParameters(_ body: (inout [Float], inout [Float]) -> Void) {}
}
