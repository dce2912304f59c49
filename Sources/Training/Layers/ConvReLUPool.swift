import NumericCore

/// A convnet block as one layer: convolution (stride 1, zero padding) + bias,
/// ReLU, 2×2 max pooling with stride 2,
/// computed tile by tile so that no whole-batch intermediate exists.
///
/// Shapes (per sample, channel-major rows): x `C × H × W`, W `O × (C·k·k)`,
/// b `O`, pre-activation `a = conv(x) + b` of `O × H' × W'`, y `O × ⌊H'/2⌋ × ⌊W'/2⌋`:
/// `y[o, i, j] = max(a[o, 2i + u*, 2j + v*], 0)` with `(u*, v*)` the first
/// maximum of the 2×2 window (row-major order), as the unfused chain.
/// Backward routes `dy` to `(2i + u*, 2j + v*)` where `y > 0` (the ReLU's mask
/// at the window's maximum): `da`, then `db[o] = Σ da[o, ·]`, `dW = Σ_s da_s X_sᵀ`,
/// `dX_s = Wᵀ da_s` folded back (col2im), with `X_s` the column matrix of sample s.
///
/// The batch is cut into tiles of `samplesPerTile` samples whose column
/// matrix and pre-activations stay in a core's L2 cache; each tile is an im2col
/// and one GEMM forward, and an im2col and two GEMMs backward (the columns
/// are rebuilt rather than kept: cheaper than streaming them from memory).
/// Tiles form `groups` contiguous groups, fixed by the shape alone, that the
/// workers share; each group accumulates its own weight and bias gradient in
/// tile order, and the groups' gradients are summed in group order — the same
/// bits for every worker count.
///
/// With ``ConvAlgorithm/direct`` (3×3, padding 1, few input channels: the
/// first block) there are no tiles: each sample's outputs, and its share of
/// the weight and bias gradients, come straight from its input
/// (``_DirectConv3x3``); the samples' shares are summed in sample order.
///
/// With ``ConvAlgorithm/winograd`` (3×3, padding 1) a tile is instead an input
/// transform, 16 GEMMs and an output transform fused with bias, ReLU and pool
/// forward (``_WinogradF2x3``); backward 16 GEMMs for `∂U` (summed per group
/// like the weight gradient, transformed back to `∂W` once) and 16 for `∂V`;
/// 2.25× fewer multiplications than im2col in all three products.
///
/// - Complexity: 2·B·O·C·k²·H'·W' flops forward, twice that backward (once
///   without the input gradient); memory O(workers · tile + groups · O·C·k²)
///   besides the output and a byte per output value for the pooling choice.
public final class ConvReLUPool: Layer {
    public let inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int, padding: Int
    /// The pooled output size, `⌊H'/2⌋ × ⌊W'/2⌋`.
    public let pooledHeight: Int, pooledWidth: Int
    public var weight: Matrix
    public var bias: [Float]
    public var weightGradient: Matrix
    public var biasGradient: [Float]
    public private(set) var output = Matrix(rows: 0, cols: 0)
    public private(set) var inputGradient = Matrix(rows: 0, cols: 0)
    /// The workers of the tiles (which worker computes a tile, not the result, depends on it).
    public let context: ComputeContext
    /// Samples per tile: as many as keep the tile's columns and pre-activations (Winograd: its
    /// transformed inputs and products) within `tileFloats` (at least one), a function of the shape alone.
    public let samplesPerTile: Int
    /// How the convolution is computed (see ``ConvAlgorithm``).
    public let algorithm: ConvAlgorithm

    /// The default floats of one tile's column matrix plus pre-activations: 512 KB, half a core's L2 here.
    public static let defaultTileFloats = 1 << 17
    /// The default floats of one Winograd tile's transformed inputs and products, `16·(C + O)·N`:
    /// 1 MB, more than im2col's because the 16 GEMMs of a tile are each a sixteenth of its work.
    public static let defaultWinogradTileFloats = 1 << 18
    /// At most this many groups: enough to balance a few workers, few enough that summing their gradients is cheap.
    static let maxGroups = 16

    /// The instruction set of the direct kernels and the Winograd transforms (0: their portable
    /// Swift loops): ``WideISA/selected``; tests lower it. Every set gives the same bits.
    var kernelISA: Int32 = WideISA.selected

    private let geometry: _ConvGeometry
    /// The window position (0–3, row-major) of each output's maximum, `B × outputWidth`.
    private var choice: [UInt8] = []
    /// One per worker: a tile's columns (`patch × S·H'·W'`), then its pre-activations or their gradient (`O × S·H'·W'`).
    private let tiles: [ScratchBuffer<Float>]
    /// Per group: its weight gradient `O × patch`, then its bias gradient `O`.
    private let partials = ScratchBuffer<Float>()
    /// Winograd: the transforms, and the transformed weights `U` (16 matrices `O × C`) then the
    /// groups' summed `∂U`.
    private let winograd: _WinogradF2x3?
    /// Direct: the per-sample kernels.
    private let direct: _DirectConv3x3?
    private let transformed = ScratchBuffer<Float>()

    public var outputWidth: Int { outChannels * pooledHeight * pooledWidth }
    var patch: Int { geometry.patch }
    var positions: Int { geometry.positions }

    /// He-uniform weights (gain √2 for the ReLU), zero bias; the draws of the former separate convolution layer.
    /// `tileFloats` bounds a tile (tests make it small to get many tiles from a few samples; `nil`:
    /// the algorithm's default). `algorithm` defaults to ``ConvAlgorithm/preferred(inChannels:kernel:padding:)``.
    public init(
        inChannels: Int, outChannels: Int, height: Int, width: Int, kernel: Int = 3, padding: Int = 1,
        rng: inout SplitMix64, context: ComputeContext = .serial, tileFloats: Int? = nil, algorithm: ConvAlgorithm? = nil
    ) {
        precondition(inChannels > 0 && outChannels > 0 && kernel > 0 && padding >= 0, "bad ConvReLUPool configuration")
        geometry = _ConvGeometry(channels: inChannels, height: height, width: width, kernel: kernel, padding: padding)
        precondition(geometry.outHeight >= 2 && geometry.outWidth >= 2,
                     "ConvReLUPool: a \(kernel)×\(kernel) kernel on \(height)×\(width) (padding \(padding)) leaves nothing to pool")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.padding = padding
        self.context = context
        pooledHeight = geometry.outHeight / 2
        pooledWidth = geometry.outWidth / 2
        let algorithm = algorithm ?? .preferred(inChannels: inChannels, kernel: kernel, padding: padding)
        self.algorithm = algorithm
        precondition(algorithm == .im2col || ConvAlgorithm.winogradApplies(kernel: kernel, padding: padding),
                     "ConvReLUPool: \(algorithm) needs a 3×3 kernel with padding 1, got \(kernel)×\(kernel) padding \(padding); use .im2col")
        switch algorithm {
        case .im2col, .direct:
            direct = algorithm == .direct
                ? _DirectConv3x3(channels: inChannels, height: height, width: width, outChannels: outChannels) : nil
            winograd = nil
            // Direct: the tiles of im2col's backward when the input gradient is needed.
            samplesPerTile = max(1, (tileFloats ?? Self.defaultTileFloats) / ((geometry.patch + outChannels) * geometry.positions))
        case .winograd:
            let f = _WinogradF2x3(channels: inChannels, outChannels: outChannels, height: height, width: width)
            winograd = f
            direct = nil
            samplesPerTile = max(1, (tileFloats ?? Self.defaultWinogradTileFloats) / (16 * (inChannels + outChannels) * f.tilesPerSample))
        }
        weight = Matrix(rows: outChannels, cols: geometry.patch)
        _heUniform(&weight.storage, fanIn: geometry.patch, gain: 2.0.squareRoot(), rng: &rng)
        bias = [Float](repeating: 0, count: outChannels)
        weightGradient = Matrix(rows: outChannels, cols: geometry.patch)
        biasGradient = [Float](repeating: 0, count: outChannels)
        tiles = (0..<context.workers).map { _ in ScratchBuffer<Float>() }
    }

    /// The tiles of a batch of `batch` samples and their groups: group `g`
    /// covers tiles `g·T/G ..< (g+1)·T/G`.
    func tiling(batch: Int) -> (tiles: Int, groups: Int) {
        let t = (batch + samplesPerTile - 1) / samplesPerTile
        return (t, min(t, Self.maxGroups))
    }

    /// Calls `body(worker, tile, samples, firstOfGroup, group)` for every tile,
    /// the groups shared among the workers, the tiles of a group in order.
    private func forEachTile(batch: Int, _ body: (_ worker: Int, _ samples: Range<Int>, _ first: Bool, _ group: Int) -> Void) {
        let (count, groups) = tiling(batch: batch)
        let s = samplesPerTile
        Parallel.forEachChunk(groups, chunk: 1, workers: context.workers) { worker, range in
            for g in range {
                let first = g * count / groups, end = (g + 1) * count / groups
                for t in first..<end { body(worker, (t * s)..<min(batch, t * s + s), t == first, g) }
            }
        }
    }

    private func reserveTiles() {
        let floats: Int
        if let winograd {
            floats = 16 * (inChannels + outChannels) * samplesPerTile * winograd.tilesPerSample + winograd.paddedFloats
        } else {
            floats = (patch + outChannels) * samplesPerTile * positions
        }
        for t in tiles { t.reserve(floats) }
    }

    public func forward(_ input: Matrix) {
        let inWidth = inChannels * height * width
        precondition(input.cols == inWidth, "ConvReLUPool expects \(inChannels)×\(height)×\(width) inputs, got \(input.cols) values")
        let b = input.rows, outWidth = outputWidth
        output.reshape(rows: b, cols: outWidth)
        Workspace.reserve(&choice, b * outWidth)
        reserveTiles()
        if let winograd { return winogradForward(winograd, input) }
        if let direct { return directForward(direct, input) }
        let geometry = self.geometry, patch = self.patch, positions = self.positions, o = outChannels, s = samplesPerTile
        let ph = pooledHeight, pw = pooledWidth, windows = _PoolWindows(rows: ph, cols: pw, rowStride: geometry.outWidth)
        input.storage.withUnsafeBufferPointer { xBuffer in
        output.storage.withUnsafeMutableBufferPointer { yBuffer in
        choice.withUnsafeMutableBufferPointer { choiceBuffer in
        weight.storage.withUnsafeBufferPointer { wBuffer in
        bias.withUnsafeBufferPointer { biasBuffer in
            let x = xBuffer.baseAddress!, y = yBuffer.baseAddress!, am = choiceBuffer.baseAddress!
            let w = wBuffer.baseAddress!, bias = biasBuffer.baseAddress!
            forEachTile(batch: b) { worker, samples, _, _ in
                let n = samples.count * positions
                let cols = tiles[worker].base, a = cols + patch * s * positions
                for (t, sample) in samples.enumerated() { geometry.im2col(x + sample * inWidth, cols + t * positions, rowStride: n) }
                BLAS.gemm(.none, .none, m: o, n: n, k: patch, a: w, lda: patch, b: cols, ldb: n, beta: 0, c: a, ldc: n)
                for (t, sample) in samples.enumerated() {
                    for c in 0..<o {
                        let out = sample * outWidth + c * ph * pw
                        windows.forward(a + c * n + t * positions, bias: bias[c], y + out, am + out)
                    }
                }
            }
        }
        }
        }
        }
        }
    }

    /// The direct forward: samples shared among the workers, each with its scratch in its tile buffer.
    private func directForward(_ f: _DirectConv3x3, _ input: Matrix) {
        let b = input.rows, inWidth = inChannels * height * width, outWidth = outputWidth, isa = kernelISA
        for t in tiles { t.reserve(f.scratchFloats) }
        input.storage.withUnsafeBufferPointer { xBuffer in
        output.storage.withUnsafeMutableBufferPointer { yBuffer in
        choice.withUnsafeMutableBufferPointer { choiceBuffer in
        weight.storage.withUnsafeBufferPointer { wBuffer in
        bias.withUnsafeBufferPointer { biasBuffer in
            let x = xBuffer.baseAddress!, y = yBuffer.baseAddress!, am = choiceBuffer.baseAddress!
            let w = wBuffer.baseAddress!, bias = biasBuffer.baseAddress!
            Parallel.forEachChunk(b, chunk: 4, workers: context.workers) { worker, samples in
                let scratch = tiles[worker].base
                for s in samples {
                    f.forward(x + s * inWidth, w, bias, y + s * outWidth, am + s * outWidth, scratch: scratch, isa: isa)
                }
            }
        }
        }
        }
        }
        }
    }

    /// The direct backward without an input gradient: each sample's share of the weight and bias
    /// gradients (in `partials`), then their sum in sample order — the same bits for every worker count.
    private func directBackward(_ f: _DirectConv3x3, input: Matrix, outputGradient dy: Matrix, accumulate: Bool) {
        let b = dy.rows, inWidth = inChannels * height * width, outWidth = outputWidth, isa = kernelISA
        let o = outChannels, patch = self.patch, share = o * patch + o
        for t in tiles { t.reserve(f.scratchFloats) }
        partials.reserve(b * share)
        input.storage.withUnsafeBufferPointer { xBuffer in
        dy.storage.withUnsafeBufferPointer { gBuffer in
        output.storage.withUnsafeBufferPointer { yBuffer in
        choice.withUnsafeBufferPointer { choiceBuffer in
            let x = xBuffer.baseAddress!, g = gBuffer.baseAddress!, y = yBuffer.baseAddress!, am = choiceBuffer.baseAddress!
            Parallel.forEachChunk(b, chunk: 4, workers: context.workers) { worker, samples in
                let scratch = tiles[worker].base
                for s in samples {
                    let dw = partials.part(s, stride: share)
                    f.weightGradient(x + s * inWidth, g + s * outWidth, y + s * outWidth, am + s * outWidth,
                                     dw, dw + o * patch, scratch: scratch, isa: isa)
                }
            }
        }
        }
        }
        }
        sumShares(count: b, stride: share, accumulate: accumulate)
    }

    public func backward(input: Matrix, outputGradient dy: Matrix, needInputGradient: Bool, accumulate: Bool) {
        let b = dy.rows, outWidth = outputWidth, inWidth = inChannels * height * width
        precondition(dy.cols == outWidth && input.rows == b && output.rows == b,
                     "ConvReLUPool gradient shape \(dy.rows)×\(dy.cols) does not match the last forward")
        reserveTiles()
        if needInputGradient { inputGradient.reshape(rows: b, cols: inWidth) }
        if let winograd { return winogradBackward(winograd, input: input, outputGradient: dy, needInputGradient: needInputGradient, accumulate: accumulate) }
        if let direct, !needInputGradient { return directBackward(direct, input: input, outputGradient: dy, accumulate: accumulate) }
        let groups = tiling(batch: b).groups, o = outChannels, patch = self.patch, partialFloats = o * patch + o
        partials.reserve(groups * partialFloats)
        let geometry = self.geometry, positions = self.positions, s = samplesPerTile
        let ph = pooledHeight, pw = pooledWidth, windows = _PoolWindows(rows: ph, cols: pw, rowStride: geometry.outWidth)
        input.storage.withUnsafeBufferPointer { xBuffer in
        dy.storage.withUnsafeBufferPointer { gBuffer in
        output.storage.withUnsafeBufferPointer { yBuffer in
        choice.withUnsafeBufferPointer { choiceBuffer in
        weight.storage.withUnsafeBufferPointer { wBuffer in
        inputGradient.storage.withUnsafeMutableBufferPointer { dxBuffer in
            let x = xBuffer.baseAddress!, g = gBuffer.baseAddress!, y = yBuffer.baseAddress!, am = choiceBuffer.baseAddress!
            let w = wBuffer.baseAddress!, dx = dxBuffer.baseAddress
            forEachTile(batch: b) { worker, samples, first, group in
                let n = samples.count * positions
                let cols = tiles[worker].base, da = cols + patch * s * positions
                let dw = partials.part(group, stride: partialFloats), db = dw + o * patch
                if first { db.update(repeating: 0, count: o) }
                // The windows cover the planes but for a trailing odd row or column, which must read as zero.
                if geometry.outHeight % 2 == 1 || geometry.outWidth % 2 == 1 { da.update(repeating: 0, count: o * n) }
                for (t, sample) in samples.enumerated() {
                    geometry.im2col(x + sample * inWidth, cols + t * positions, rowStride: n)
                    for c in 0..<o {
                        let at = sample * outWidth + c * ph * pw
                        db[c] += windows.backward(g + at, y + at, am + at, da + c * n + t * positions)
                    }
                }
                BLAS.gemm(.none, .transposed, m: o, n: patch, k: n, a: da, lda: n, b: cols, ldb: n,
                          beta: first ? 0 : 1, c: dw, ldc: patch)
                guard needInputGradient, let dx else { return }
                // The columns are spent: their buffer takes the column gradient.
                BLAS.gemm(.transposed, .none, m: patch, n: n, k: o, a: w, lda: patch, b: da, ldb: n, beta: 0, c: cols, ldc: n)
                for (t, sample) in samples.enumerated() { geometry.col2im(cols + t * positions, rowStride: n, dx + sample * inWidth) }
            }
        }
        }
        }
        }
        }
        }
        // The groups' gradients, summed in group order.
        sumShares(count: groups, stride: partialFloats, accumulate: accumulate)
    }

    /// Sums `count` shares of the weight and bias gradients (`partials`, each `O × patch` then `O`)
    /// in order into the gradients (overwriting them unless `accumulate`).
    private func sumShares(count: Int, stride: Int, accumulate: Bool) {
        let o = outChannels, patch = self.patch
        weightGradient.storage.withUnsafeMutableBufferPointer { dwBuffer in
            biasGradient.withUnsafeMutableBufferPointer { dbBuffer in
                let dw = dwBuffer.baseAddress!, db = dbBuffer.baseAddress!
                for part in 0..<count {
                    let pWeights = partials.part(part, stride: stride), pBias = pWeights + o * patch
                    if part == 0 && !accumulate {
                        dw.update(from: pWeights, count: o * patch)
                        db.update(from: pBias, count: o)
                    } else {
                        _Vectorized.add(pWeights, into: dw, count: o * patch)
                        _Vectorized.add(pBias, into: db, count: o)
                    }
                }
            }
        }
    }

    // MARK: Winograd F(2×2, 3×3)

    /// One worker's tile buffer: `V` (16 × C × N), `M` (16 × O × N), then a padded plane.
    private func winogradTile(_ f: _WinogradF2x3, worker: Int) -> (v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, plane: UnsafeMutablePointer<Float>) {
        let n = samplesPerTile * f.tilesPerSample, v = tiles[worker].base
        let m = v + 16 * inChannels * n
        return (v, m, m + 16 * outChannels * n)
    }

    private func winogradForward(_ f: _WinogradF2x3, _ input: Matrix) {
        let b = input.rows, inWidth = inChannels * height * width, outWidth = outputWidth
        let c = inChannels, o = outChannels, perSample = f.tilesPerSample, isa = kernelISA
        let u = transformed.reserve(32 * o * c)
        weight.storage.withUnsafeBufferPointer { f.transformWeights($0.baseAddress!, into: u) }
        input.storage.withUnsafeBufferPointer { xBuffer in
        output.storage.withUnsafeMutableBufferPointer { yBuffer in
        choice.withUnsafeMutableBufferPointer { choiceBuffer in
        bias.withUnsafeBufferPointer { biasBuffer in
            let x = xBuffer.baseAddress!, y = yBuffer.baseAddress!, am = choiceBuffer.baseAddress!, bias = biasBuffer.baseAddress!
            forEachTile(batch: b) { worker, samples, _, _ in
                let n = samples.count * perSample, (v, m, plane) = winogradTile(f, worker: worker)
                plane.update(repeating: 0, count: f.paddedFloats)
                for (t, sample) in samples.enumerated() {
                    f.transformInput(x + sample * inWidth, plane: plane, v, column: t * perSample, n: n, matrixStride: c * n, isa: isa)
                }
                for k in 0..<16 {
                    BLAS.gemm(.none, .none, m: o, n: n, k: c, a: u + k * o * c, lda: c, b: v + k * c * n, ldb: n,
                              beta: 0, c: m + k * o * n, ldc: n)
                }
                for (t, sample) in samples.enumerated() {
                    f.forwardOutput(m, column: t * perSample, n: n, matrixStride: o * n, bias: bias,
                                    y + sample * outWidth, am + sample * outWidth, isa: isa)
                }
            }
        }
        }
        }
        }
    }

    private func winogradBackward(_ f: _WinogradF2x3, input: Matrix, outputGradient dy: Matrix, needInputGradient: Bool, accumulate: Bool) {
        let b = dy.rows, inWidth = inChannels * height * width, outWidth = outputWidth
        let c = inChannels, o = outChannels, perSample = f.tilesPerSample, isa = kernelISA
        let groups = tiling(batch: b).groups, partialFloats = 16 * o * c + o
        partials.reserve(groups * partialFloats)
        // U first, the summed ∂U after it.
        let u = transformed.reserve(32 * o * c), du = u + 16 * o * c
        weight.storage.withUnsafeBufferPointer { f.transformWeights($0.baseAddress!, into: u) }
        input.storage.withUnsafeBufferPointer { xBuffer in
        dy.storage.withUnsafeBufferPointer { gBuffer in
        output.storage.withUnsafeBufferPointer { yBuffer in
        choice.withUnsafeBufferPointer { choiceBuffer in
        inputGradient.storage.withUnsafeMutableBufferPointer { dxBuffer in
            let x = xBuffer.baseAddress!, g = gBuffer.baseAddress!, y = yBuffer.baseAddress!, am = choiceBuffer.baseAddress!
            let dx = dxBuffer.baseAddress
            forEachTile(batch: b) { worker, samples, first, group in
                let n = samples.count * perSample, (v, dm, plane) = winogradTile(f, worker: worker)
                let dU = partials.part(group, stride: partialFloats), db = dU + 16 * o * c
                if first { db.update(repeating: 0, count: o) }
                plane.update(repeating: 0, count: f.paddedFloats)
                for (t, sample) in samples.enumerated() {
                    f.transformInput(x + sample * inWidth, plane: plane, v, column: t * perSample, n: n, matrixStride: c * n, isa: isa)
                    let at = sample * outWidth
                    f.backwardOutput(g + at, y + at, am + at, dm, column: t * perSample, n: n, matrixStride: o * n, biasGradient: db, isa: isa)
                }
                for k in 0..<16 {
                    BLAS.gemm(.none, .transposed, m: o, n: c, k: n, a: dm + k * o * n, lda: n, b: v + k * c * n, ldb: n,
                              beta: first ? 0 : 1, c: dU + k * o * c, ldc: c)
                }
                guard needInputGradient, let dx else { return }
                // The transformed inputs are spent: their buffer takes ∂V.
                for k in 0..<16 {
                    BLAS.gemm(.transposed, .none, m: c, n: n, k: o, a: u + k * o * c, lda: c, b: dm + k * o * n, ldb: n,
                              beta: 0, c: v + k * c * n, ldc: n)
                }
                for (t, sample) in samples.enumerated() {
                    f.inputGradient(v, column: t * perSample, n: n, matrixStride: c * n, plane: plane, dx + sample * inWidth, isa: isa)
                }
            }
        }
        }
        }
        }
        }
        // The groups' gradients, summed in group order, then ∂W = Gᵀ ∂U G.
        for group in 0..<groups {
            let part = partials.part(group, stride: partialFloats)
            if group == 0 {
                du.update(from: part, count: 16 * o * c)
            } else {
                _Vectorized.add(part, into: du, count: 16 * o * c)
            }
        }
        weightGradient.storage.withUnsafeMutableBufferPointer { f.weightGradient(du, into: $0.baseAddress!, accumulate: accumulate) }
        biasGradient.withUnsafeMutableBufferPointer { dbBuffer in
            let db = dbBuffer.baseAddress!
            for group in 0..<groups {
                let pBias = partials.part(group, stride: partialFloats) + 16 * o * c
                if group == 0 && !accumulate {
                    db.update(from: pBias, count: o)
                } else {
                    _Vectorized.add(pBias, into: db, count: o)
                }
            }
        }
    }

    public func visitParameters(_ body: (inout [Float], inout [Float]) -> Void) {
        body(&weight.storage, &weightGradient.storage)
        body(&bias, &biasGradient)
    }
}
