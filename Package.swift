// swift-tools-version: 6.0
// harness: measure transfer-learning strategies side by side (Yosinski et al. 2014).
//
// Modules point one way, and the build enforces it (a target sees only what it depends on):
//   C libraries (one system-library target each)
//   <- HarnessSupport (hashes, seeded randomness, child processes, safetensors, parameter values)
//   <- HarnessData (data sets, image folders, sampling)  <- HarnessEngine (the CNN engine on oneDNN)
//   <- StrategyHost (plugins: scanning, configuring, running them against the engine)
//   <- HarnessCompare (plans, cells, launchers, the results database, leaderboards)
//   <- HarnessReport (HTML, SVG and text reports); HarnessBenchmark on HarnessEngine and HarnessData;
//   HarnessMetrics on HarnessSupport; HarnessTracking (MLflow's REST API) on Foundation alone;
//   HarnessCore re-exports them all for the CLI, with its workflows (bench, curves, MLflow) <- harness.
// StrategyAPI is the boundary: each plugin under Plugins/ depends on it alone and is built as
// its own shared library, which the CLI finds and loads with dlopen (it never imports a plugin).
import PackageDescription

/// Strategy plugins: (name in strategies.json, target folder under Plugins/, extra dependencies).
let plugins: [(name: String, target: String, dependencies: [Target.Dependency])] = [
    ("layer-transfer", "LayerTransfer", []),
    ("freeze-n", "FreezeN", []),
    ("finetune", "Finetune", []),
    ("lp-ft", "LPFT", []),
    ("partial-finetune", "PartialFinetune", []),
    ("bitfit", "BitFit", []),
    ("bn-only", "BNOnly", []),
    ("surgical", "Surgical", []),
    ("svm-codes", "SVMCodes", ["CLinear"]),
    ("conservation", "Conservation", []),
    ("random-filters", "RandomFilters", []),
    ("scratch", "Scratch", []),
    ("mmd", "MMD", []),
    ("coral", "CORAL", []),
    ("dann", "DANN", []),
    ("source-only", "SourceOnly", []),
]

let package = Package(
    name: "harness",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "harness", targets: ["harness"]),
        .library(name: "HarnessCore", targets: ["HarnessCore"]),
    ] + plugins.map { .library(name: "harness-strategy-\($0.name)", type: .dynamic, targets: [$0.target]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian -dev packages (scripts/bootstrap.sh installs them).
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CVips", path: "Sources/CVips", pkgConfig: "vips"),
        .systemLibrary(name: "CJSONC", path: "Sources/CJSONC"),
        .systemLibrary(name: "CFFI", path: "Sources/CFFI"),
        .systemLibrary(name: "CLinear", path: "Sources/CLinear"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // prctl, which Swift cannot call (variadic): workers die with their coordinator.
        .systemLibrary(name: "CSystem", path: "Sources/CSystem"),

        // The strategy contract in C: harness_strategy.h, what every plugin exports.
        .target(name: "CStrategyAPI"),
        // The same contract for Swift authors: a protocol and a one-line export.
        .target(name: "StrategyAPI", dependencies: ["CStrategyAPI"]),

        // HarnessCore's layers, lowest first. A back-edge (Data using Compare, say) does not compile.
        .target(name: "HarnessSupport", dependencies: ["CSystem"]),
        .target(name: "HarnessMetrics", dependencies: ["HarnessSupport"]),
        .target(name: "HarnessData", dependencies: ["HarnessSupport", "CVips", "CZlib"]),
        .target(name: "HarnessEngine", dependencies: ["HarnessData", "HarnessMetrics", "CDNNL"]),
        .target(name: "StrategyHost", dependencies: ["HarnessEngine", "CStrategyAPI", "CJSONC", "CFFI"]),
        .target(name: "HarnessCompare", dependencies: ["StrategyHost", "CSQLite"]),
        .target(name: "HarnessBenchmark", dependencies: ["HarnessEngine"]),
        .target(name: "HarnessReport", dependencies: ["HarnessCompare", "HarnessBenchmark"]),
        .target(name: "HarnessTracking"),
        // What the CLI imports: every layer above, re-exported.
        .target(name: "HarnessCore", dependencies: ["HarnessReport", "HarnessTracking"]),

        // The command-line tool.
        .executableTarget(
            name: "harness",
            dependencies: [
                "HarnessCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .testTarget(name: "HarnessCoreTests", dependencies: ["HarnessCore"]),
        .testTarget(name: "HarnessCLITests", dependencies: ["harness"]),
        .testTarget(name: "StrategyAPITests", dependencies: ["StrategyAPI"]),
    ] + plugins.map {
        .target(name: $0.target, dependencies: ["StrategyAPI"] + $0.dependencies, path: "Plugins/\($0.target)")
    }
)
