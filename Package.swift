// swift-tools-version:6.0
import PackageDescription

// Swift 5 language mode: the numeric code shares unsafe workspaces across a
// few explicitly synchronised worker threads; strict-concurrency annotations
// would add noise without catching anything the tests do not.
let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "MetricBench",
    products: [
        .executable(name: "metricbench", targets: ["metricbench"]),
        .library(name: "MetricLearning", targets: ["MetricLearning"]),
        // For the libFuzzer targets in Fuzz/, a separate package built with the sanitizers.
        .library(name: "ExperimentHarness", targets: ["ExperimentHarness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CFreeType", path: "Sources/CFreeType", pkgConfig: "freetype2",
            providers: [.apt(["libfreetype-dev"])]),
        .systemLibrary(
            name: "CFontconfig", path: "Sources/CFontconfig", pkgConfig: "fontconfig",
            providers: [.apt(["libfontconfig-dev"])]),
        // AVX2 / AVX-512 versions of the training step's elementwise passes and of the kNN scan's
        // filter, chosen at run time (the Swift versions stay the portable path; see include/).
        .target(name: "CKernels"),
        .target(name: "NumericCore", dependencies: ["COpenBLAS", "CZlib", "CKernels"], swiftSettings: settings),
        .target(name: "MetricLearning", dependencies: ["NumericCore", "CKernels"], swiftSettings: settings),
        .target(
            name: "Training", dependencies: ["NumericCore", "MetricLearning", "CKernels", "CFreeType", "CFontconfig"],
            swiftSettings: settings),
        // Throughput measurements of `metricbench bench`, kept out of the library targets.
        .target(name: "Benchmarks", dependencies: ["NumericCore", "MetricLearning", "Training"], swiftSettings: settings),
        .target(
            name: "ExperimentHarness",
            dependencies: [
                "NumericCore", "MetricLearning", "Training", .product(name: "Yams", package: "Yams"),
                .product(name: "SwiftCSV", package: "SwiftCSV"),
            ],
            swiftSettings: settings),
        .executableTarget(
            name: "metricbench",
            dependencies: [
                "NumericCore", "MetricLearning", "Training", "ExperimentHarness", "Benchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings),
        .testTarget(name: "NumericCoreTests", dependencies: ["NumericCore", "CZlib", "CKernels"]),
        .testTarget(name: "MetricLearningTests", dependencies: ["MetricLearning", "NumericCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "MetricLearning", "NumericCore", "Benchmarks", "CKernels"]),
        .testTarget(
            name: "ExperimentHarnessTests", dependencies: ["ExperimentHarness", "Training", "MetricLearning", "NumericCore"],
            exclude: ["Golden", "FuzzRegressions"]),  // read by path (#filePath), not bundled
    ],
    swiftLanguageModes: [.v5]
)
