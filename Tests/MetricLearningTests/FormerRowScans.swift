import MetricLearning

// The serial row scans of NT-Xent's and SupCon's former per-anchor passes (main at bdd7a28), which the
// ContrastiveRowPass and SupConRowPass tests use as their reference. They were C functions
// (mb_masked_* and mb_selected_* in LossKernels.c, tested bit for bit against exactly these loops)
// until the losses' passes moved to ContrastiveKernels.c and nothing else called them.

/// `m = −∞; for j where keep(mask[j]) { m = Swift.max(m, Double(s[j]) · scale) }`.
func formerRowMax(_ s: UnsafePointer<Float>, _ mask: UnsafePointer<UInt8>, _ n: Int, scale: Double,
                  keep: (UInt8) -> Bool) -> Double {
    var m = -Double.infinity
    for j in 0..<n where keep(mask[j]) { m = max(m, Double(s[j]) * scale) }
    return m
}

/// out[k++] = Double(s[j]) · scale − shift for every kept j, in column order; returns k.
func formerRowCompact(_ s: UnsafePointer<Float>, _ mask: UnsafePointer<UInt8>, _ n: Int, scale: Double,
                      shift: Double, into out: UnsafeMutablePointer<Double>, keep: (UInt8) -> Bool) -> Int {
    var k = 0
    for j in 0..<n where keep(mask[j]) {
        out[k] = Double(s[j]) * scale - shift
        k += 1
    }
    return k
}

/// For every kept j, in column order: z = Double(s[j]) · scale, top = Swift.max(z, m),
/// first[k] = z − top, second[k] = m − top. Returns k.
func formerRowTop(_ s: UnsafePointer<Float>, _ mask: UnsafePointer<UInt8>, _ n: Int, scale: Double, m: Double,
                  first: UnsafeMutablePointer<Double>, second: UnsafeMutablePointer<Double>,
                  keep: (UInt8) -> Bool) -> Int {
    var k = 0
    for j in 0..<n where keep(mask[j]) {
        let z = Double(s[j]) * scale
        let top = max(z, m)
        first[k] = z - top
        second[k] = m - top
        k += 1
    }
    return k
}
