import CLibFuzzer
import ExperimentHarness
import Foundation

/// An .npy file: decoded, then read as a matrix and as labels, as `evaluate` and the npy dataset do.
func check(_ data: Data) {
    guard let array = try? NPY.parse(data, path: "fuzz.npy") else { return }
    _ = try? NPY.matrix(array, path: "fuzz.npy")
    _ = try? NPY.labels(array, path: "fuzz.npy")
}

// Exported under libFuzzer's name too, in case the linker picks libFuzzer's own main.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    check(Data(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
