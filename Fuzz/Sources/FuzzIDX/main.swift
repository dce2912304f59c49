import CLibFuzzer
import ExperimentHarness
import Foundation

/// The decompressed bytes of an IDX file, read as images and as labels.
func check(_ data: Data) {
    let bytes = [UInt8](data)
    _ = try? IDX.images(from: bytes, path: "fuzz-idx3-ubyte")
    _ = try? IDX.labels(from: bytes, path: "fuzz-idx1-ubyte")
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
