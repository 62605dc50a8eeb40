// Strategy plugins for the tests: C sources compiled with cc against harness_strategy.h alone
// (as a user would), and the plugins this package builds.
import Foundation
import XCTest
@testable import HarnessCore
@testable import HarnessData
@testable import HarnessEngine
@testable import StrategyHost

enum Repository {
    /// The package root, from this file's path (Tests/HarnessCoreTests/…).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let include = root + "/Sources/CStrategyAPI/include"
    /// Where `swift build` put the bundled plugins: beside the test bundle.
    static var buildDirectory: String {
        var url = Bundle(for: BundleMarker.self).bundleURL
        while url.lastPathComponent.hasSuffix(".xctest") || url.lastPathComponent == "Contents" { url.deleteLastPathComponent() }
        return url.path
    }
    final class BundleMarker {}

    static func builtPlugin(_ name: String) -> String { buildDirectory + "/\(StrategyABI.builtPluginPrefix)\(name).so" }

    /// The harness binary the scanner starts (`harness scan-plugin`), built beside the tests.
    static var harness: String { buildDirectory + "/harness" }
}

/// A registry as commands build it (plugins opened in scanner children), remembering nothing.
func scannedRegistry(_ directories: [String] = [], built: Bool = true) -> PluginRegistry {
    PluginRegistry(searchPath: PluginSearchPath(directories: directories, buildDirectory: built ? Repository.buildDirectory : nil),
                   scanner: PluginScanner(executable: Repository.harness, cacheFile: nil))
}

extension PluginRegistry {
    /// The named plugin opened in this process, as a worker opens it.
    func loaded(_ name: String) throws -> StrategyPlugin { try StrategyPlugin(path: try plugin(named: name).path) }
}

/// Compiles C source into a shared library in `directory`; returns its path.
func compilePlugin(_ source: String, named name: String, in directory: String, include: String = Repository.include,
                   file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let c = directory + "/\(name).c", so = directory + "/\(name).so"
    try source.write(toFile: c, atomically: true, encoding: .utf8)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
    p.arguments = ["-shared", "-fPIC", "-Wall", "-I", include, c, "-o", so]
    let err = Pipe()
    p.standardError = err
    try p.run()
    p.waitUntilExit()
    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    XCTAssertEqual(p.terminationStatus, 0, "cc failed: \(message)", file: file, line: line)
    return so
}

/// A C plugin whose descriptor can be bent in one place, for the failure tests.
func cPlugin(name: String = "probe", entry: String = "harness_strategy_entry_v2", abi: String = "HARNESS_STRATEGY_ABI_VERSION",
             structSize: String = "sizeof(harness_strategy)", run: String = "run", configure: String = ".configure = (void *)configure",
             parameters: String = #"{ "a", HARNESS_INT, "1", "" }, { "b", HARNESS_DOUBLE, "0.5", "" }, { "flag", HARNESS_BOOL, "false", "" }, { "s", HARNESS_STRING, "hi", "" }"#,
             parameterCount: Int = 4, runBody: String? = nil, ranges: String? = nil) -> String {
    """
    #include <harness_strategy.h>
    #include <stdlib.h>
    #include <string.h>
    typedef struct { int a; double b; int flag; int length; } state;
    /* Typed configure: proves libffi passes int, double, bool and string in order. */
    static void *configure(int a, double b, int flag, const char *s) {
        if (a < 0) return NULL;
        state *st = malloc(sizeof *st);
        st->a = a; st->b = b; st->flag = flag; st->length = (int)strlen(s);
        return st;
    }
    static int run(void *p, const harness_task *t, const harness_engine *e, harness_host *h, int32_t *out) {
        const state *st = p;
        (void)e; (void)h;
        \(runBody ?? """
        for (int64_t i = 0; i < t->eval.count; i++) out[i] = 0;
        out[0] = st->a; out[1] = (int32_t)(st->b * 100); out[2] = st->flag; out[3] = st->length;
        return 0;
        """)
    }
    static void release(void *p) { free(p); }
    static const harness_parameter parameters[] = { \(parameters) };
    \(ranges.map { "static const char *const ranges[] = { \($0) };" } ?? "")
    static const harness_strategy strategy = {
        .abi_version = \(abi), .struct_size = \(structSize), .name = "\(name)", .version = "0.1",
        .summary = "test plugin", .parameters = parameters, .parameter_count = \(parameterCount),
        \(configure), .run = \(run), .release = release,\(ranges == nil ? "" : " .parameter_ranges = ranges,")
    };
    const harness_strategy *\(entry)(void) { return &strategy; }
    """
}

/// A source network and a small task for running strategies quickly.
func tinyTask(classes: Int = 1000, images: Int = 8) throws -> TransferTask {
    let spec = NetworkSpec(channels: 1, height: 4, width: 4, layers: [.conv("conv1", 2, kernel: 3, padding: 1), .relu("relu1"), .fc("fc2", 3)])
    let source = try Network(spec: spec, seed: 1)
    let train = ImageSet(channels: 1, height: 4, width: 4, pixels: gaussian(images * 16), labels: (0..<images).map { $0 % 2 })
    let eval = ImageSet(channels: 1, height: 4, width: 4, pixels: gaussian(images * 16, seed: 9), labels: [Int](repeating: 0, count: images))
    return TransferTask(source: source, train: train, eval: eval,
                        classes: classes, seed: 1, training: .testing(epochs: 1, batch: 64, lr: 0.01))
}
