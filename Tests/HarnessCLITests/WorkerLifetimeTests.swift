// A worker never outlives its comparison: it dies with the coordinator (even one killed with -9),
// holds itself to its deadline, and the scratch folder a killed coordinator leaves is removed by
// the next comparison.
import Foundation
import XCTest

final class WorkerLifetimeTests: XCTestCase {
    /// Process ids whose command line contains every fragment.
    func processes(matching fragments: [String]) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.filter { pid in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let line = String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return fragments.allSatisfy { line.contains($0) }
        }
    }

    /// Gone, or a zombie nobody has reaped yet: either way it runs no more code.
    func isDead(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    func testAHungWorkerDiesWithItsCoordinatorAndHoldsItselfToItsDeadline() throws {
        let dir = try temporaryDirectory(), plugins = dir + "/plugins"
        let environment = ["HARNESS_CACHE_DIR": dir + "/cache"]
        try CPluginBuilder.build(CPluginBuilder.source("spin", body: "for (volatile unsigned long i = 0;; i++) {}"), file: "spin", in: plugins)
        let config = dir + "/strategies.json"
        try #"{ "spin": { "strategy": "spin" }, "svm-codes": { "strategy": "svm-codes" } }"#.write(toFile: config, atomically: true, encoding: .utf8)
        let common = ["--no-baseline", "--plugin-path", plugins, "--config", config, "--db", dir + "/r.sqlite"] + CompareTests.small(seeds: 1)

        let coordinator = Process()
        coordinator.executableURL = HarnessCLI.binary
        coordinator.arguments = ["compare", "--strategies", "spin", "--timeout", "600"] + common
        coordinator.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        coordinator.standardOutput = FileHandle.nullDevice
        coordinator.standardError = FileHandle.nullDevice
        try coordinator.run()
        let parent = coordinator.processIdentifier
        var worker: Int32?
        let deadline = Date().addingTimeInterval(300)
        while worker == nil, Date() < deadline, coordinator.isRunning {
            worker = processes(matching: ["worker", "--parent \(parent) "]).first
            if worker == nil { usleep(100_000) }
        }
        let pid = try XCTUnwrap(worker, "the worker started")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("harness-cells-\(parent)").path
        let cell = dir + "/cell.json"
        try FileManager.default.copyItem(atPath: scratch + "/cell-0.json", toPath: cell)

        kill(parent, SIGKILL)
        coordinator.waitUntilExit()
        let gone = Date().addingTimeInterval(10)
        while !isDead(pid), Date() < gone { usleep(100_000) }
        XCTAssertTrue(isDead(pid), "the spinning worker died with its coordinator")
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch), "a coordinator killed with -9 leaves its scratch folder")

        // The next comparison removes it.
        let next = try harness(["compare", "--strategies", "svm-codes"] + common, environment: environment)
        XCTAssertEqual(next.status, 0, next.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch), "stale scratch removed at the next start")

        // A worker alone (no coordinator watching) ends itself at its deadline.
        let started = Date()
        let alone = try harness(["worker", "--cell", cell, "--result", dir + "/result.json", "--deadline", "1"])
        XCTAssertEqual(alone.status, SIGALRM, "ended by its own alarm: \(alone.stderr)")
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/result.json"))
    }
}
