import CLibFuzzer
import ExperimentHarness
import Foundation

/// An experiment file: parsed, validated and expanded into its plan; every problem must be a thrown error.
func check(_ data: Data) {
    guard let text = String(data: data, encoding: .utf8) else { return }
    guard let spec = try? SpecParser.parse(text, file: "fuzz.yaml") else { return }
    _ = try? ExperimentPlan(spec)
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
