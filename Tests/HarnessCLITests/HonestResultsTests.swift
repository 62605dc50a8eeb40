// Ways a plugin could make a leaderboard lie without crashing: printing into the result channel,
// being rebuilt under the same name and version, collapsing to one class, diverging at a rate it
// chose itself. Each must show in the table for what it is.
import Foundation
import XCTest

final class HonestResultsTests: XCTestCase {
    func testMisbehavingPluginsCannotDistortTheLeaderboard() throws {
        let dir = try temporaryDirectory(), plugins = dir + "/plugins"
        let environment = ["HARNESS_CACHE_DIR": dir + "/cache"]
        // Prints to stdout with no final newline, then gives honest predictions.
        try CPluginBuilder.build(CPluginBuilder.source("noisy", body: #"printf("working on it..."); fflush(stdout);"# + CPluginBuilder.trainAndPredict()),
                                 file: "noisy", in: plugins)
        // Puts every image in class 0 (Dress, the first target class).
        func constant(_ k: Int) -> String {
            CPluginBuilder.source("constant", body: "for (int64_t i = 0; i < task->eval.count; i++) out[i] = \(k); return 0;")
        }
        try CPluginBuilder.build(constant(0), file: "constant", in: plugins)
        // Trains at a rate it chose itself, far beyond what any network survives.
        try CPluginBuilder.build(CPluginBuilder.source("hot", body: CPluginBuilder.trainAndPredict(rate: "1e30")), file: "hot", in: plugins)
        let config = dir + "/strategies.json"
        try #"{ "noisy": { "strategy": "noisy" }, "constant": { "strategy": "constant" }, "hot": { "strategy": "hot" } }"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let args = ["compare", "--strategies", "noisy,constant,hot", "--no-baseline", "--plugin-path", plugins, "--config", config,
                    "--db", dir + "/r.sqlite"] + CompareTests.small(seeds: 1)

        let first = try harness(args, environment: environment)
        XCTAssertEqual(first.status, 3, "hot failed: \(first.stderr)")
        let noisy = try XCTUnwrap(first.stdout.split(separator: "\n").first { $0.contains(" noisy ") })
        XCTAssertFalse(noisy.contains("failed") || noisy.hasPrefix("   —"), "a plugin's own stdout does not cost its result: \(noisy)")
        XCTAssertTrue(first.stdout.contains("Collapsed models (counted in the accuracy, which is about chance for them):\n  constant, seed 1: predicts Dress for every image"),
                      first.stdout)
        XCTAssertTrue(first.stdout.contains("hot, seed 1: strategy hot failed: training diverged"), first.stdout)
        XCTAssertTrue(first.stdout.contains("help: the strategy chose learning rate 1e+30 (the comparison's is 0.02); lower the rate in its parameters"),
                      first.stdout)
        XCTAssertFalse(first.stdout.contains("lower --lr"), "the user did not set that rate: \(first.stdout)")

        // Rebuilt with the same name and version, the plugin is a different plugin: its cell runs again.
        try CPluginBuilder.build(constant(1), file: "constant", in: plugins)
        let second = try harness(args, environment: environment)
        XCTAssertTrue(second.stderr.contains("1 of 3 cells to run (2 already in"), second.stderr)
        XCTAssertTrue(second.stderr.contains("1 of them failed before and are not rerun; rerun them with --retry-failed"), second.stderr)
        XCTAssertTrue(second.stdout.contains("constant, seed 1: predicts Coat for every image"), second.stdout)
        XCTAssertTrue(try harness(["strategies", "--plugin-path", plugins], environment: environment).stdout.contains("(content hash "))
    }
}
