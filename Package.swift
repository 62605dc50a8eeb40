// swift-tools-version: 6.0
// harness: measure transfer-learning strategies side by side (Yosinski et al. 2014).
//
// Modules point one way: C libraries (one system-library target each) <- HarnessCore <- harness CLI.
// StrategyAPI is the boundary that strategy plugins (Plugins/, one .so each) build against.
import PackageDescription

let package = Package(
    name: "harness",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "harness", targets: ["harness"]),
        .library(name: "HarnessCore", targets: ["HarnessCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian -dev packages (scripts/bootstrap.sh installs them).
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),

        // Data sets, the CNN engine on oneDNN, and metrics.
        .target(name: "HarnessCore", dependencies: ["CDNNL", "CZlib", "CPNG"]),

        // The contract every transfer strategy implements.
        .target(name: "StrategyAPI", dependencies: []),

        // The command-line tool.
        .executableTarget(
            name: "harness",
            dependencies: [
                "HarnessCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .testTarget(name: "HarnessCoreTests", dependencies: ["HarnessCore"]),
        .testTarget(name: "HarnessCLITests", dependencies: ["harness"]),
    ]
)
