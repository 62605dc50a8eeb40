// Plugins are opened only in child processes (`harness scan-plugin`, the cell workers): a library
// that aborts the moment it is loaded is listed as broken, and every command carries on.
import Foundation
import XCTest

final class PluginIsolationTests: XCTestCase {
    func testAPluginThatAbortsOnLoadIsListedAsBrokenWhileEverythingElseCarriesOn() throws {
        let dir = try temporaryDirectory(), plugins = dir + "/plugins"
        let environment = ["HARNESS_CACHE_DIR": dir + "/cache"]
        try CPluginBuilder.build(CPluginBuilder.source("boom", preamble: "__attribute__((constructor)) static void boom_on_load(void) { abort(); }",
                                                       body: "return 1;"), file: "boom", in: plugins)

        let listed = try harness(["strategies", "--plugin-path", plugins], environment: environment)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertTrue(listed.stdout.contains("  freeze-n 1.1  "), "the other plugins are listed: \(listed.stdout)")
        XCTAssertTrue(listed.stdout.contains("Plugins that failed to load (comparisons go on without them):\n  \(plugins)/boom.so: loading it crashed the plugin scanner (crashed: signal 6 (Aborted))"),
                      listed.stdout)
        XCTAssertTrue(listed.stdout.contains("(content hash "), "plugins are shown with their content hash")
        // Remembered by content: the next command does not open the file again.
        let remembered = try String(contentsOfFile: dir + "/cache/plugin-scans.json", encoding: .utf8)
        XCTAssertTrue(remembered.contains("crashedWhileLoading"), remembered)
        XCTAssertEqual(try harness(["strategies", "--plugin-path", plugins], environment: environment).stdout, listed.stdout)

        // doctor, given a bare file name in the current directory, diagnoses instead of dying.
        let doctor = try harness(["strategies", "doctor", "boom.so"], environment: environment, directory: plugins)
        assertOneLineError(doctor, mentions: "\(plugins)/boom.so: loading it crashed the plugin scanner (crashed: signal 6 (Aborted))")

        // A comparison that names it says why it cannot run it.
        let config = dir + "/strategies.json"
        try #"{ "boom": { "strategy": "boom" }, "svm-codes": { "strategy": "svm-codes" } }"#.write(toFile: config, atomically: true, encoding: .utf8)
        let named = try harness(["compare", "--strategies", "boom", "--no-baseline", "--plugin-path", plugins, "--config", config,
                                 "--db", dir + "/r.sqlite"] + CompareTests.small(seeds: 1), environment: environment)
        assertOneLineError(named, mentions: "strategy plugin 'boom' failed to load: \(plugins)/boom.so: loading it crashed the plugin scanner")
        XCTAssertTrue(named.stderr.contains("help: see `harness strategies`"), named.stderr)

        // One that does not name it runs as if the file were not there.
        let other = try harness(["compare", "--strategies", "svm-codes", "--no-baseline", "--plugin-path", plugins, "--config", config,
                                 "--db", dir + "/r.sqlite"] + CompareTests.small(seeds: 1), environment: environment)
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertTrue(other.stdout.contains("svm-codes"), other.stdout)
    }

    func testDoctorNamesAPluginWhoseNameClashes() throws {
        let dir = try temporaryDirectory(), plugins = dir + "/plugins"
        try CPluginBuilder.build(CPluginBuilder.source("twin", body: "return 1;"), file: "a", in: plugins)
        try CPluginBuilder.build(CPluginBuilder.source("twin", version: "2", body: "return 1;"), file: "b", in: plugins)
        let doctor = try harness(["strategies", "doctor", "--plugin-path", plugins, plugins + "/b.so"], environment: ["HARNESS_CACHE_DIR": dir + "/cache"])
        XCTAssertEqual(doctor.status, 0, doctor.stderr)
        XCTAssertTrue(doctor.stdout.hasPrefix("\(plugins)/b.so: loads. Strategy 'twin' version 2"), doctor.stdout)
        XCTAssertTrue(doctor.stdout.contains("warning: the search path has other plugins named 'twin': \(plugins)/a.so."), doctor.stdout)
    }
}
