// The Slurm launcher against a real single-node Slurm (Debian's slurmctld, slurmd and munge,
// started by scripts/slurm-single-node.sh for this test class and stopped after it): the same
// numbers as a local run, a cancelled array resumed with every cell once, and a task that dies
// turning into failed rows that say how while the other cells are collected.
import Foundation
import XCTest

final class SlurmTests: XCTestCase {
    static let cluster = NSTemporaryDirectory() + "harness-slurm-\(getpid())"
    nonisolated(unsafe) static var started = false  // set once, in class setUp, before any test

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        + "/scripts/slurm-single-node.sh"

    // system(3), not Process: the script leaves daemons running, and Foundation's Process can
    // wait on them through descriptors they inherit; system waits for the script alone.
    override class func setUp() {
        started = system("bash '\(script)' start '\(cluster)' > '\(cluster).log' 2>&1 < /dev/null") == 0
    }

    override class func tearDown() {
        _ = system("bash '\(script)' stop '\(cluster)' >> '\(cluster).log' 2>&1 < /dev/null")
        try? FileManager.default.removeItem(atPath: cluster)
        try? FileManager.default.removeItem(atPath: cluster + ".log")
    }

    override func setUpWithError() throws {
        XCTAssertTrue(Self.started, "the single-node Slurm did not start; see \(Self.cluster).log and \(Self.cluster)/slurmctld.log")
        try XCTSkipUnless(Self.started)
    }

    func environment(_ dir: String, cache: String = "cache") -> [String: String] {
        ["HARNESS_CACHE_DIR": dir + "/" + cache, "SLURM_CONF": Self.cluster + "/slurm.conf"]
    }

    /// Test accuracy of every cell, by strategy, seed and trial, from `leaderboard --format trials`.
    func accuracies(_ db: String) throws -> [String: String] {
        let csv = try harness(["leaderboard", "--db", db, "--format", "trials"]).stdout
        var byCell: [String: String] = [:]
        for r in csvRecords(csv) {
            byCell["\(r["strategy"] ?? "?") seed \(r["seed"] ?? "?") trial \(r["trial"] ?? "?")"] = "\(r["status"] ?? "?") \(r["test_accuracy"] ?? "?")"
        }
        return byCell
    }

    func runDirectory(_ stderr: String) throws -> String {
        let match = try XCTUnwrap(stderr.range(of: #"files in (\S+)"#, options: .regularExpression), stderr)
        return String(stderr[match].dropFirst("files in ".count))
    }

    func testTheSameGridOnSlurmGivesBitIdenticalAccuracies() throws {
        let dir = try temporaryDirectory()
        let args = ["compare", "--strategies", "freeze3,finetune", "--trials", "2"] + CompareTests.small()
        // Each launcher trains its own source network (separate caches).
        let local = try harness(args + ["--db", dir + "/local.sqlite"], environment: environment(dir, cache: "local-cache"))
        XCTAssertEqual(local.status, 0, local.stderr)
        let slurm = try harness(args + ["--db", dir + "/slurm.sqlite", "--launcher", "slurm", "--run-dir", dir + "/runs", "--cells-per-task", "3"],
                                environment: environment(dir, cache: "slurm-cache"))
        XCTAssertEqual(slurm.status, 0, slurm.stderr)
        XCTAssertTrue(slurm.stderr.contains("train source network(s) into \(dir)/slurm-cache"), slurm.stderr)
        XCTAssertTrue(slurm.stderr.contains("Slurm job array"), slurm.stderr)
        let (a, b) = (try accuracies(dir + "/local.sqlite"), try accuracies(dir + "/slurm.sqlite"))
        XCTAssertEqual(a.count, 12, "3 strategies x 2 seeds x 2 trials: \(a)")
        XCTAssertEqual(a, b, "every cell's test accuracy, bit for bit")
        // The leaderboard printed at the end is the same too.
        XCTAssertEqual(local.stdout.replacingOccurrences(of: #"\s+\d+\.\d\s+\d+\n"#, with: "\n", options: .regularExpression)
                           .split(separator: "\n").filter { $0.contains("±") }.map { $0.prefix(60) },
                       slurm.stdout.replacingOccurrences(of: #"\s+\d+\.\d\s+\d+\n"#, with: "\n", options: .regularExpression)
                           .split(separator: "\n").filter { $0.contains("±") }.map { $0.prefix(60) })
    }

    func testACancelledArrayResumesAndEndsWithEveryCellOnce() throws {
        let dir = try temporaryDirectory()
        let args = ["compare", "--strategies", "freeze3,finetune,svm-codes", "--db", dir + "/r.sqlite", "--launcher", "slurm",
                    "--run-dir", dir + "/runs", "--cells-per-task", "1"] + CompareTests.small()
        let submitted = try harness(args + ["--no-wait"], environment: environment(dir))
        XCTAssertEqual(submitted.status, 0, submitted.stderr)
        let run = try runDirectory(submitted.stderr)
        // Cancel the array once the first cell's result is written, the rest unfinished.
        let deadline = Date().addingTimeInterval(300)
        while ((try? FileManager.default.contentsOfDirectory(atPath: run + "/results")) ?? []).isEmpty && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
        }
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/submission-0.json"))) as? [String: Any])
        let array = try XCTUnwrap(record["arrayJob"] as? String)
        let cancel = Process()
        cancel.executableURL = URL(fileURLWithPath: "/usr/bin/scancel")
        cancel.arguments = [array]
        cancel.environment = ProcessInfo.processInfo.environment.merging(environment(dir)) { $1 }
        try cancel.run()
        cancel.waitUntilExit()
        let written = try FileManager.default.contentsOfDirectory(atPath: run + "/results").filter { $0.hasSuffix(".json") }.count
        XCTAssertLessThan(written, 8, "cancelled mid-way")

        let status = try harness(["status", "--run-dir", run], environment: environment(dir))
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.hasPrefix("8 cells: "), status.stdout)

        // Run again: what was written is collected, only the rest is submitted, and every cell ends up stored once.
        let again = try harness(args, environment: environment(dir))
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("Slurm job array"), "the missing cells were resubmitted: \(again.stderr)")
        XCTAssertFalse(again.stderr.contains("train source network"), "the source network is not trained again")
        let cells = try accuracies(dir + "/r.sqlite")
        XCTAssertEqual(cells.count, 8, "4 strategies x 2 seeds, each once: \(cells)")
        XCTAssertTrue(cells.values.allSatisfy { $0.hasPrefix("ok ") }, "\(cells)")
        let done = try harness(["status", "--run-dir", run], environment: environment(dir))
        XCTAssertEqual(done.stdout.split(separator: "\n").first, "8 cells: 8 done", done.stdout)
        // Collecting again adds nothing.
        let collect = try harness(["collect", "--run-dir", run, "--db", dir + "/r.sqlite"], environment: environment(dir))
        XCTAssertTrue(collect.stderr.contains("collected 0 new cell result(s)"), collect.stderr)
    }

    func testATaskThatDiesBecomesFailedRowsSayingHowAndTheOtherCellsAreCollected() throws {
        let dir = try temporaryDirectory(), plugins = dir + "/plugins"
        // A plugin that kills the Slurm task running it (its worker's parent), taking the task's other cells with it.
        try CPluginBuilder.build(CPluginBuilder.source("assassin", body: "kill(getppid(), SIGKILL); sleep(5); return 1;"), file: "assassin", in: plugins)
        let config = dir + "/strategies.json"
        try #"{ "assassin": { "strategy": "assassin" }, "scratch": { "strategy": "scratch" }, "freeze3": { "strategy": "freeze-n", "parameters": { "n": 3 } } }"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let r = try harness(["compare", "--strategies", "freeze3,assassin", "--plugin-path", plugins, "--config", config, "--db", dir + "/r.sqlite",
                             "--launcher", "slurm", "--run-dir", dir + "/runs", "--cells-per-task", "2"] + CompareTests.small(),
                            environment: environment(dir))
        XCTAssertEqual(r.status, 3, "some cells failed: \(r.stderr)")
        let cells = try accuracies(dir + "/r.sqlite")
        XCTAssertEqual(cells.count, 6, "\(cells)")
        // Tasks: [freeze3 s1, s2], [assassin s1, s2], [scratch s1, s2]: the middle one dies.
        for name in ["freeze3", "scratch"] {
            for seed in 1...2 { XCTAssertTrue(cells["\(name) seed \(seed) trial 0"]?.hasPrefix("ok ") == true, "\(name) \(seed): \(cells)") }
        }
        XCTAssertTrue(r.stdout.contains("lost with Slurm array task"), r.stdout)
        XCTAssertTrue(r.stdout.contains("FAILED") || r.stdout.contains("exit code"), "says how the task ended: \(r.stdout)")
        let status = try harness(["status", "--run-dir", try runDirectory(r.stderr)], environment: environment(dir))
        XCTAssertTrue(status.stdout.hasPrefix("6 cells: 4 done, 2 lost"), status.stdout)
    }
}

final class LauncherOptionTests: XCTestCase {
    func testBadLauncherOptionsAreClearErrors() throws {
        assertOneLineError(try harness(["compare", "--launcher", "kubernetes"]), mentions: "The value 'kubernetes' is invalid for '--launcher <local|slurm>'. Please provide one of 'local' and 'slurm'.")
        assertOneLineError(try harness(["compare", "--no-wait"]), mentions: "--no-wait and --slurm-args go with --launcher slurm")
        assertOneLineError(try harness(["compare", "--launcher", "slurm", "--budget", "5"]), mentions: "on Slurm give the jobs a time limit instead")
        assertOneLineError(try harness(["compare", "--launcher", "slurm", "--no-wait", "--refit", "--trials", "2"]),
                           mentions: "--refit retrains what selection chose among finished trials")
        assertOneLineError(try harness(["status", "--run-dir", "/nonexistent/run"]), mentions: "holds no plan.json")
    }
}
