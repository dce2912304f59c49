import CLibFuzzer
import ExperimentHarness
import Foundation

/// A baseline summary.csv: read strictly, then compared with itself.
func check(_ data: Data) {
    guard let text = String(data: data, encoding: .utf8) else { return }
    _ = try? RegressionCheck.compare(current: text, baseline: text, tolerance: 0.02, baselinePath: "fuzz.csv")
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
