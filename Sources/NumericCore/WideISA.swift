import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The instruction set of the C kernels (`CKernels`) a process uses.
///
/// 0 is the portable Swift path (arm64, x86-64 without AVX2), 1 AVX2, 2
/// AVX-512F: the CPU's best, or lower when the environment variable
/// `METRICBENCH_SIMD` is `portable` or `avx2` (to measure what the wide paths
/// gain; every kernel gives the same bits as its Swift counterpart, which the
/// tests check per set).
public enum WideISA {
    /// The set chosen once per process.
    public static let selected: Int32 = {
        let detected = Int32(mb_isa_detected())
        guard let raw = getenv("METRICBENCH_SIMD") else { return detected }
        switch String(cString: raw) {
        case "portable": return 0
        case "avx2": return min(detected, 1)
        case let other:
            fputs("metricbench: METRICBENCH_SIMD=\(other) is not one of portable, avx2; using the CPU's widest set\n",
                  stderr)
            return detected
        }
    }()

    /// The sets this CPU can run, lowest first (0 always).
    public static var available: [Int32] { Array(0...Int32(mb_isa_detected())) }
}
