import NumericCore

/// Records of one results folder trained with different OpenBLAS kernel sets
/// (``BLAS/kernel``): their numbers differ in the last bits, so they must not
/// be mixed under one variant id. `run` refuses to add runs to such a folder
/// and `report` refuses to summarise one; records that predate the field
/// (nil) match any kernel.
public struct KernelMismatch: Error, CustomStringConvertible {
    /// Kernel set → how many records used it.
    public var counts: [String: Int]
    /// The folder.
    public var directory: String
    /// The kernel set of this process, when the refusal is about adding runs.
    public var current: String?

    /// Throws when `records` use more than one kernel set, or (with
    /// `current`) one other than `current`.
    public static func check(_ records: [RunRecord], directory: String, current: String? = nil) throws {
        var counts: [String: Int] = [:]
        for r in records { if let k = r.blasKernel { counts[k, default: 0] += 1 } }
        let kernels = Set(counts.keys).union(current.map { [$0] } ?? [])
        guard kernels.count > 1 else { return }
        throw KernelMismatch(counts: counts, directory: directory, current: current)
    }

    public var description: String {
        let found = counts.sorted { $0.key < $1.key }.map { "\($0.value) with \($0.key)" }.joined(separator: ", ")
        let recorded = counts.keys.sorted()
        if let current, recorded.count == 1, let theirs = recorded.first {
            return "\(directory): its runs were trained with OpenBLAS kernels \(theirs) (\(found)); this process uses \(current), "
                + "whose numbers differ in the last bits. Set OPENBLAS_CORETYPE=\(theirs) (the Makefile sets Haswell) or write to another --out folder"
        }
        return "\(directory): run records trained with different OpenBLAS kernel sets (\(found)) cannot be summarised together: "
            + "their numbers differ in the last bits. Keep one set (re-run the others with OPENBLAS_CORETYPE set, as the Makefile does) or move them to another folder"
    }
}
