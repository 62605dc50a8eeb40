// `harness compare` end to end: a leaderboard, caching and resumption, and failing strategies
// (a segfault, a hang, a NaN) that become rows while the other cells complete.
import Foundation
import XCTest

final class CompareTests: XCTestCase {
    /// Small enough for the test suite: 40 source and 20 target images per class, 1-2 epochs
    /// (and no step budget: --min-steps 0, so a process started directly keys its cells as the
    /// `harness` helper's do).
    static func small(seeds: Int = 2) -> [String] {
        ["--source-per-class", "40", "--target-per-class", "20", "--eval-per-class", "20",
         "--base-epochs", "1", "--base-batch", "16", "--base-lr", "0.02", "--epochs", "2", "--batch", "16", "--lr", "0.02", "--seeds", "\(seeds)",
         "--min-steps", "0"]
    }

    func environment(_ dir: String) -> [String: String] { ["HARNESS_CACHE_DIR": dir + "/cache"] }

    /// As typed, with no --min-steps: 80 training images at batch 16 are 5 steps an epoch, so
    /// "2 epochs" becomes 60 to reach the 300-step minimum, for every trained strategy alike.
    func testTheDefaultBudgetGivesEveryTrainedStrategy300Steps() throws {
        let dir = try temporaryDirectory()
        let r = try harnessAsTyped(["compare", "--strategies", "freeze3,svm-codes", "--db", dir + "/r.sqlite"] + Self.small(seeds: 1).dropLast(2),
                                   environment: environment(dir))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("2 epochs or at least 300 SGD steps per training run, whichever is more"), r.stdout)
        func row(_ name: String) -> String {
            r.stdout.split(separator: "\n").first { $0.split(separator: " ").dropFirst().first == Substring(name) }.map(String.init) ?? ""
        }
        for name in ["freeze3", "scratch"] { XCTAssertTrue(row(name).contains("300 (60)"), "\(name): \(row(name))") }
        let svm = row("svm-codes")
        XCTAssertTrue(svm.contains("—"), "svm-codes trains no network: \(svm)")
    }

    func testLeaderboardIsReproducibleAndCachedWorkIsNeverRedone() throws {
        let dir = try temporaryDirectory()
        let args = ["compare", "--strategies", "freeze3,svm-codes", "--db", dir + "/r.sqlite"] + Self.small()
        let first = try harness(args + ["--format", "csv"], environment: environment(dir))
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("training the source network"), first.stderr)
        XCTAssertTrue(first.stderr.contains("6 of 6 cells to run"), first.stderr)
        XCTAssertTrue(first.stdout.hasPrefix("comparison_id,dataset,split,"), first.stdout)
        XCTAssertEqual(Set(csvRecords(first.stdout).compactMap { $0["strategy"] }), ["freeze3", "svm-codes", "scratch"])

        // One more strategy: no source network trained, no finished cell rerun, same numbers for the old rows.
        let second = try harness(args.map { $0 == "freeze3,svm-codes" ? "freeze3,svm-codes,random3" : $0 } + ["--format", "csv"],
                                     environment: environment(dir))
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertFalse(second.stderr.contains("training the source network"), second.stderr)
        XCTAssertTrue(second.stderr.contains("2 of 8 cells to run (6 already in"), second.stderr)
        for name in ["freeze3", "svm-codes", "scratch"] {
            func row(_ out: String) -> String? { csvRecords(out).first { $0["strategy"] == name }?["accuracy_mean"] }
            XCTAssertNotNil(row(first.stdout), first.stdout)
            XCTAssertEqual(row(first.stdout), row(second.stdout), "\(name): same mean accuracy")
        }

        // From scratch in another database: bit-for-bit the same numbers.
        let again = try harness(["compare", "--strategies", "freeze3,svm-codes", "--db", dir + "/other.sqlite"] + Self.small() + ["--format", "csv"],
                                    environment: environment(dir))
        XCTAssertEqual(again.status, 0, again.stderr)
        // Every number but wall time must match bit for bit.
        func rows(_ db: String) throws -> [NSDictionary] {
            let json = try harness(["leaderboard", "--db", db, "--format", "json", "--strategies", "freeze3,svm-codes"]).stdout
            let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let comparison = try XCTUnwrap((doc["comparisons"] as? [[String: Any]])?.first)
            return try XCTUnwrap(comparison["rows"] as? [[String: Any]]).map { NSDictionary(dictionary: $0.filter { $0.key != "mean_seconds" }) }
        }
        let fresh = try rows(dir + "/other.sqlite")
        XCTAssertEqual(fresh.count, 3)
        XCTAssertEqual(fresh, try rows(dir + "/r.sqlite"))

        let board = try harness(["leaderboard", "--db", dir + "/r.sqlite", "--format", "markdown"])
        XCTAssertEqual(board.status, 0, board.stderr)
        XCTAssertTrue(board.stdout.contains("| rank | strategy |"), board.stdout)
        XCTAssertTrue(board.stdout.contains("95% confidence interval"), board.stdout)
        for format in ["table", "json", "latex"] {
            XCTAssertEqual(try harness(["leaderboard", "--db", dir + "/r.sqlite", "--format", format]).status, 0, format)
        }

        let report = try harness(["report", "--db", dir + "/other.sqlite", "--out", dir + "/report"])
        XCTAssertEqual(report.status, 0, report.stderr)
        let html = try String(contentsOfFile: dir + "/report/report.html", encoding: .utf8)
        for fragment in ["<svg", "freeze3", "svm-codes", "95% confidence interval", "Per-class accuracy", "Coat"] {
            XCTAssertTrue(html.contains(fragment), "report lacks \(fragment)")
        }
        for figure in ["accuracy.svg", "curves.svg", "per-class.svg"] {
            XCTAssertTrue(try String(contentsOfFile: dir + "/report/" + figure, encoding: .utf8).hasPrefix("<svg"), figure)
        }
    }

    func testCrashingHangingAndDivergingStrategiesBecomeRows() throws {
        let dir = try temporaryDirectory()
        let plugins = dir + "/plugins"
        func plugin(_ name: String, _ body: String) throws { try CPluginBuilder.build(CPluginBuilder.source(name, body: body), file: name, in: plugins) }
        try plugin("segfault", "volatile int *p = 0; return *p;")
        try plugin("hang", "for (;;) sleep(1);")
        // A learning rate no network survives: the engine reports the loss turning NaN.
        try plugin("nan", """
            harness_network *n = e->new_network(h, task->source, task->classes, 1);
            harness_training t = { .struct_size = sizeof t, .epochs = 1, .batch_size = 8, .learning_rate = 1e30,
                                   .momentum = 0.9, .schedule = "constant", .seed = 1 };
            if (e->train(h, n, &task->train, &t) != 0) return 1;
            return e->predict(h, n, &task->eval, out);
            """)
        // And a well-behaved strategy written in C: the example, built against the header alone.
        try CPluginBuilder.build(try String(contentsOfFile: CPluginBuilder.include + "/../../../examples/c-strategy/copy_n.c", encoding: .utf8),
                                 file: "copy-n", in: plugins)
        let listed = try harness(["strategies", "--plugin-path", plugins])
        XCTAssertTrue(listed.stdout.contains("copy-n 1.0  first n layers copied, trained at lr_mult (C example)"), listed.stdout)

        let config = dir + "/strategies.json"
        try """
            { "finetune": { "strategy": "finetune" }, "segfault": { "strategy": "segfault" },
              "hang": { "strategy": "hang" }, "nan": { "strategy": "nan" },
              "copy2": { "strategy": "copy-n", "parameters": { "n": 2, "lr_mult": 0.5 } } }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try harness(["compare", "--strategies", "finetune,segfault,hang,nan,copy2", "--no-baseline", "--seeds", "1", "--jobs", "2",
                                 "--timeout", "20", "--plugin-path", plugins, "--config", config, "--db", dir + "/r.sqlite"]
                                + Self.small(seeds: 1), environment: environment(dir))
        XCTAssertEqual(r.status, 3, "some cells failed: \(r.stderr)")
        XCTAssertTrue(r.stdout.contains("segfault, seed 1: crashed: signal 11"), r.stdout)
        XCTAssertTrue(r.stdout.contains("hang, seed 1: timed out after 20s"), r.stdout)
        XCTAssertTrue(r.stdout.contains("nan, seed 1: strategy nan failed: training diverged"), r.stdout)
        let finetune = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains(" finetune ") })
        XCTAssertTrue(finetune.contains("finetune") && finetune.contains("      1  "), "finetune finished its seed: \(finetune)")
        let copy2 = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains(" copy2 ") })
        XCTAssertFalse(copy2.contains("failed"), "the C strategy ran: \(copy2)")
        XCTAssertFalse(copy2.hasPrefix("   —"), "the C strategy is ranked: \(copy2)")
    }

    func testAComparisonKilledMidwayResumesAndItsDatabaseIsIntact() throws {
        let dir = try temporaryDirectory()
        let args = ["compare", "--strategies", "freeze3,finetune", "--db", dir + "/r.sqlite"] + Self.small()
        let log = dir + "/log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let p = Process()
        p.executableURL = HarnessCLI.binary
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment(dir)) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        // Kill it hard as soon as the first cell is stored.
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline, !(try String(contentsOfFile: log, encoding: .utf8)).contains("[1/6]") { usleep(100_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)

        let check = try harness(["leaderboard", "--db", dir + "/r.sqlite", "--check"])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stdout.contains("integrity ok"), check.stdout)

        let resumed = try harness(args, environment: environment(dir))
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let planned = try XCTUnwrap(resumed.stderr.split(separator: "\n").first { $0.contains("cells to run") })
        XCTAssertFalse(planned.hasPrefix("6 of 6"), "finished cells are not rerun: \(planned)")
        XCTAssertTrue(try harness(["leaderboard", "--db", dir + "/r.sqlite", "--check"]).stdout.contains("integrity ok, 6 cells"))
    }

    func testTwoComparisonsWritingOneDatabaseAtOnceBothSucceedAndTrainTheirSourceNetworkOnce() throws {
        let dir = try temporaryDirectory()
        // Both start on an empty cache: one trains the source network, the other waits for it.
        func start(_ strategies: String, log: String) throws -> Process {
            let p = Process()
            p.executableURL = HarnessCLI.binary
            p.arguments = ["compare", "--strategies", strategies, "--no-baseline", "--db", dir + "/shared.sqlite"] + Self.small(seeds: 3)
            p.environment = ProcessInfo.processInfo.environment.merging(environment(dir)) { $1 }
            p.standardOutput = FileHandle.nullDevice
            FileManager.default.createFile(atPath: log, contents: nil)
            p.standardError = FileHandle(forWritingAtPath: log)
            try p.run()
            return p
        }
        let a = try start("freeze3,random3", log: dir + "/a.log"), b = try start("svm-codes,anb3", log: dir + "/b.log")
        a.waitUntilExit()
        b.waitUntilExit()
        XCTAssertEqual(a.terminationStatus, 0)
        XCTAssertEqual(b.terminationStatus, 0)
        let logs = try [dir + "/a.log", dir + "/b.log"].map { try String(contentsOfFile: $0, encoding: .utf8) }
        XCTAssertEqual(logs.filter { $0.contains("training the source network") }.count, 1, "one source network for both: \(logs)")
        let check = try harness(["leaderboard", "--db", dir + "/shared.sqlite", "--check"])
        XCTAssertTrue(check.stdout.contains("integrity ok, 12 cells"), check.stdout)
    }

    func testAnotherNetworkIsChosenWithNetwork() throws {
        let dir = try temporaryDirectory()
        let r = try harness(["compare", "--network", "lenet-5", "--strategies", "freeze3,svm-codes", "--db", dir + "/r.sqlite"] + Self.small(seeds: 1),
                            environment: environment(dir))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("freeze3"), r.stdout)
        // Trainable parameters of LeNet-5 with its first 3 layers frozen: fc4 (120x84 + 84) and fc5 (84x5 + 5).
        let freeze = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains(" freeze3 ") })
        let trainable: Int = 120 * 84 + 84 + 84 * 5 + 5
        XCTAssertTrue(freeze.hasSuffix(" \(trainable)"), String(freeze))
        let listed = try harness(["networks"])
        XCTAssertTrue(listed.stdout.contains("lenet-5") && listed.stdout.contains("vgg-small") && listed.stdout.contains("resnet20"), listed.stdout)
        // A residual network's units: the numbering "the first n layers" counts, blocks whole.
        let resnet = try harness(["networks", "resnet20", "--input", "3x32x32"])
        XCTAssertTrue(resnet.stdout.contains("11 transfer units"), resnet.stdout)
        let block = try XCTUnwrap(resnet.stdout.split(separator: "\n").first { $0.contains("layer2.0.conv1") })
        XCTAssertTrue(block.hasPrefix(" 5  layer2.0"), String(block))
        XCTAssertTrue(resnet.stdout.contains("add (reads layer2.0.bn2 + layer2.0.downsample.1)"), resnet.stdout)
        assertOneLineError(try harness(["compare", "--network", "nope"]), mentions: "unknown network 'nope'")
        assertOneLineError(try harness(["compare", "--network", "lenet-5", "--source-model", "x.safetensors", "--target", "fashion-mnist"]),
                           mentions: "--source-model brings its own network")
    }

    func testATinyDomainAdaptationComparisonRunsAndBadScenariosSaySo() throws {
        let dir = try temporaryDirectory()
        let scenario = ["--source", "fashion-mnist:0-4", "--target", "fashion-mnist:0-4@rotate:90", "--db", dir + "/r.sqlite"]
        let r = try harness(["compare", "--strategies", "source-only,mmd,coral,dann,finetune", "--target-labels", "0"] + scenario + Self.small(seeds: 1),
                            environment: environment(dir))
        XCTAssertEqual(r.status, 3, "finetune has no labelled target image to train on with --target-labels 0: a failed row\n" + r.stderr)
        XCTAssertTrue(r.stderr.contains("domain shift: 0 labelled training images per target class"), r.stderr)
        for name in ["source-only", "mmd", "coral", "dann"] {
            let row = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains(" \(name) ") }, "\(name) has a row: \(r.stdout)")
            XCTAssertFalse(row.contains("failed"), String(row))
        }
        XCTAssertTrue(r.stdout.contains("the training set is empty"), "finetune's failed row says why: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("domain shift: 0 labelled target images per class"), r.stdout)

        assertOneLineError(try harness(["compare", "--strategies", "mmd", "--target-labels", "0", "--source", "fashion-mnist:0-4",
                                        "--target", "fashion-mnist:5-9", "--db", dir + "/x.sqlite"] + Self.small(seeds: 1), environment: environment(dir)),
                           mentions: "--target-labels needs the same classes on both sides")
        assertOneLineError(try harness(["compare", "--strategies", "mmd", "--target-labels", "0", "--trials", "4"] + scenario),
                           mentions: "--target-labels 0 leaves no labelled target image")
        // Without a domain-shift scenario an adaptation strategy is a failed row that says what it needs.
        let plain = try harness(["compare", "--strategies", "dann", "--db", dir + "/p.sqlite"] + Self.small(seeds: 1), environment: environment(dir))
        XCTAssertEqual(plain.status, 3)
        XCTAssertTrue(plain.stdout.contains("dann needs a domain-shift scenario"), plain.stdout)
    }

    func testTransferCurveWritesItsFigureTablesAndReadingAndRecordsTelemetry() throws {
        let dir = try temporaryDirectory()
        let r = try harness(["transfer-curve", "--layers", "1,2", "--db", dir + "/r.sqlite", "--out", dir + "/curve"] + Self.small(seeds: 1),
                            environment: environment(dir))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("11 of 11 cells to run"), r.stderr)  // baseB + 2 x 5 treatments
        let table = try String(contentsOfFile: dir + "/curve/transfer-curve.md", encoding: .utf8)
        for fragment in ["| n | BnB | BnB+ | AnB | AnB+ | random |", "| 2 |", "| 1-7 |", "## Reading", "baseB (from scratch on B) reaches"] {
            XCTAssertTrue(table.contains(fragment), "table lacks \(fragment)")
        }
        XCTAssertTrue(try String(contentsOfFile: dir + "/curve/figure.svg", encoding: .utf8).hasPrefix("<svg"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/curve/figure.png"), "rsvg-convert (librsvg2-bin) makes the PNG")

        let t = try harness(["telemetry", "--db", dir + "/r.sqlite", "--strategy", "AnB n=2", "--out", dir + "/telemetry"])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("conv1"), t.stdout)
        XCTAssertTrue(t.stdout.contains("   0.0000"), "the frozen layers did not move: \(t.stdout)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/telemetry/telemetry.svg"))
        assertOneLineError(try harness(["telemetry", "--db", dir + "/r.sqlite", "--strategy", "nope"]), mentions: "no stored run of 'nope'")

        // The dissimilar split into the same database: the figure gains a second panel.
        let d = try harness(["transfer-curve", "--layers", "1,2", "--split", "dissimilar", "--db", dir + "/r.sqlite", "--out", dir + "/both"]
                            + Self.small(seeds: 1), environment: environment(dir))
        XCTAssertEqual(d.status, 0, d.stderr)
        let both = try String(contentsOfFile: dir + "/both/figure.svg", encoding: .utf8)
        XCTAssertTrue(both.contains("fashion-mnist, random(seed 1)") && both.contains("fashion-mnist, dissimilar"), "two panels")
    }
}
