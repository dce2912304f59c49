// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for the readers of untrusted input. Built only by
// `make fuzz` (sanitizers on, in .build-fuzz/), never by the main package.
let package = Package(
    name: "MetricBenchFuzz",
    dependencies: [.package(name: "MetricBench", path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        .executableTarget(name: "FuzzSpec", dependencies: ["CLibFuzzer", .product(name: "ExperimentHarness", package: "MetricBench")]),
        .executableTarget(name: "FuzzNPY", dependencies: ["CLibFuzzer", .product(name: "ExperimentHarness", package: "MetricBench")]),
        .executableTarget(name: "FuzzIDX", dependencies: ["CLibFuzzer", .product(name: "ExperimentHarness", package: "MetricBench")]),
        .executableTarget(name: "FuzzCSV", dependencies: ["CLibFuzzer", .product(name: "ExperimentHarness", package: "MetricBench")]),
    ],
    swiftLanguageModes: [.v5]
)
