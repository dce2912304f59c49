/// How ``ConvReLUPool`` computes its convolution.
///
/// Both give the same function up to float rounding; Winograd's rounding
/// differs from im2col's (its transforms add and subtract inputs before the
/// products), by about 1e-6 relative to the output scale.
public enum ConvAlgorithm: Sendable {
    /// im2col tiles and one GEMM per tile: `C·k²` multiplications per output value.
    case im2col
    /// Winograd F(2×2, 3×3) (Lavin & Gray 2016): 16 GEMMs per tile over transformed 4×4 input
    /// tiles, 16·C multiplications per 2×2 output tile instead of 36·C (2.25× fewer) in forward,
    /// weight gradient and input gradient. Only for 3×3 kernels with padding 1.
    case winograd
    /// Straight from the input, sample by sample (``_DirectConv3x3``): forward each output's
    /// `C·9` products as one FMA chain, backward the weight and bias gradients as lane sums over
    /// the pre-activation gradient — no column matrix and no GEMM with an inner dimension of `C·9`
    /// (9 for a first block), which OpenBLAS runs far below its speed. Only for 3×3 kernels with
    /// padding 1; with an input gradient to compute (a block that is not the first), backward is
    /// im2col's.
    case direct

    /// Winograd where it applies and pays: a 3×3 kernel with padding 1 on at least
    /// ``winogradMinimumChannels`` input channels (with one input channel the 16 GEMMs have an
    /// inner dimension of 1 and run far below the GEMM kernel's speed); direct for a 3×3 kernel
    /// with padding 1 on fewer channels; im2col otherwise.
    public static func preferred(inChannels: Int, kernel: Int, padding: Int) -> ConvAlgorithm {
        guard winogradApplies(kernel: kernel, padding: padding) else { return .im2col }
        return inChannels >= winogradMinimumChannels ? .winograd : .direct
    }

    /// Input channels from which ``preferred(inChannels:kernel:padding:)`` picks Winograd.
    public static let winogradMinimumChannels = 8

    /// Whether Winograd F(2×2, 3×3) (or the direct kernels) compute this convolution: a 3×3 kernel, padding 1 (so the
    /// output has the input's size and the 2×2 output tiles are the pooling windows).
    public static func winogradApplies(kernel: Int, padding: Int) -> Bool { kernel == 3 && padding == 1 }
}
