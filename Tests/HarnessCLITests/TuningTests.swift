// Tuned comparisons end to end: trials chosen on validation images held out of the training
// images, never on the test labels; diverged trials never selected; a strategy whose every
// trial fails is a failed row. Small enough for CI: one seed, three trials, 20 images per class.
import Foundation
import XCTest

final class TuningTests: XCTestCase {
    func testSelectionIgnoresTheTestLabelsAndStrategiesNeverSeeValidationLabelsOrTrainOnThem() throws {
        let dir = try temporaryDirectory(), environment = ["HARNESS_CACHE_DIR": dir + "/cache"]
        let photos = dir + "/photos", permuted = dir + "/permuted"
        XCTAssertEqual(try harness(["export-images", "fashion-mnist:5-9", "--per-class", "30", "--out", photos]).status, 0)
        // The same folder with the test images' labels shuffled among the classes.
        try FileManager.default.copyItem(atPath: photos, toPath: permuted)
        let classes = try FileManager.default.contentsOfDirectory(atPath: permuted + "/test").sorted()
        var files = try classes.flatMap { c in try FileManager.default.contentsOfDirectory(atPath: "\(permuted)/test/\(c)").map { (c, $0) } }.sorted { $0.1 < $1.1 }
        var g = SystemRandomNumberGenerator()
        files.shuffle(using: &g)
        for (i, (from, file)) in files.enumerated() {
            let to = classes[i % classes.count]
            if to != from { try FileManager.default.moveItem(atPath: "\(permuted)/test/\(from)/\(file)", toPath: "\(permuted)/test/\(to)/t\(i)-\(file)") }
        }

        func run(_ target: String, db: String) throws -> [String: Any] {
            let r = try harness(["compare", "--strategies", "freeze3,svm-codes", "--no-baseline", "--source", "fashion-mnist:0-4", "--target", target,
                                 "--trials", "3", "--db", db, "--format", "json"] + CompareTests.small(seeds: 1), environment: environment)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("6 of 6 cells to run"), r.stderr)
            let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return try XCTUnwrap((doc["comparisons"] as? [[String: Any]])?.first, "one comparison in the document")
        }
        let honest = try run(photos, db: dir + "/a.sqlite"), shuffled = try run(permuted, db: dir + "/b.sqlite")
        func trials(_ doc: [String: Any]) throws -> [[String: Any]] { try XCTUnwrap(doc["trials"] as? [[String: Any]]) }
        func selected(_ doc: [String: Any]) throws -> [String] {
            try trials(doc).filter { $0["selected"] as? Bool == true }.map { "\($0["strategy"]!) seed \($0["seed"]!): trial \($0["trial"]!)" }.sorted()
        }
        XCTAssertEqual(try trials(honest).count, 6)
        XCTAssertEqual(try selected(honest).count, 2)
        XCTAssertEqual(try selected(shuffled), try selected(honest), "permuting the test labels changes no selection")
        // (Rows are ranked by test accuracy, which the permutation changes: compare trial by trial.)
        func byTrial(_ doc: [String: Any], _ field: String) throws -> [String: Double] {
            Dictionary(uniqueKeysWithValues: try trials(doc).map { ("\($0["strategy"]!) \($0["seed"]!) \($0["trial"]!)", $0[field] as? Double ?? -1) })
        }
        XCTAssertEqual(try byTrial(shuffled, "validation_accuracy"), try byTrial(honest, "validation_accuracy"), "the validation images are the training folder's")
        XCTAssertNotEqual(try byTrial(shuffled, "test_accuracy"), try byTrial(honest, "test_accuracy"), "the test labels did change")
        let svm = try XCTUnwrap((honest["rows"] as? [[String: Any]])?.first { $0["strategy"] as? String == "svm-codes" })
        XCTAssertGreaterThan(svm["validation_mean"] as? Double ?? 0, 0.5, "a working strategy beats chance (20%) on validation")
        XCTAssertTrue((honest["selection"] as? String ?? "").hasPrefix("Selection: per strategy and seed, the trial with the best validation accuracy"))

        // More trials under a budget the estimate (from the 6 stored cells) says they cannot fit: none is started.
        let capped = try harness(["compare", "--strategies", "freeze3,svm-codes", "--no-baseline", "--source", "fashion-mnist:0-4", "--target", photos,
                                  "--trials", "6", "--budget", "0.001", "--db", dir + "/a.sqlite"] + CompareTests.small(seeds: 1), environment: environment)
        XCTAssertEqual(capped.status, 0, capped.stderr)
        XCTAssertTrue(capped.stderr.contains("--budget 0.001 min: 0 of 6 cells fit"), capped.stderr)
        XCTAssertTrue(capped.stderr.contains("0 of 12 cells to run"), capped.stderr)
        let estimated = try harness(["compare", "--strategies", "freeze3,svm-codes", "--no-baseline", "--source", "fashion-mnist:0-4", "--target", photos,
                                     "--trials", "4", "--db", dir + "/a.sqlite"] + CompareTests.small(seeds: 1), environment: environment)
        XCTAssertTrue(estimated.stderr.contains("2 of 8 cells to run (6 already in"), estimated.stderr)
        XCTAssertTrue(estimated.stderr.contains("from the speed of 6 earlier cells in"), "cost up front: \(estimated.stderr)")

        // What a strategy is shown: 16 training images per class (20 less a fifth held out), and
        // 4 validation + 20 test images per class as unlabelled evaluation images, none of them a training image.
        let probe = CPluginBuilder.source("probe", preamble: """
            static unsigned long long fnv(const float *p, int64_t n) {
                unsigned long long h = 1469598103934665603ULL; const unsigned char *b = (const unsigned char *)p;
                for (int64_t i = 0; i < n * (int64_t)sizeof(float); i++) h = (h ^ b[i]) * 1099511628211ULL;
                return h;
            }
            static void dump(FILE *f, const char *kind, const harness_images *im) {
                int64_t size = (int64_t)im->channels * im->height * im->width;
                for (int64_t i = 0; i < im->count; i++) fprintf(f, "%s %d %llx\\n", kind, im->labels ? im->labels[i] : -1, fnv(im->pixels + i * size, size));
            }
            """, body: """
            FILE *f = fopen(getenv("PROBE_FILE"), "w");
            dump(f, "train", &task->train); dump(f, "eval", &task->eval); fclose(f);
            for (int64_t i = 0; i < task->eval.count; i++) out[i] = 0;
            return 0;
            """)
        try CPluginBuilder.build(probe, file: "probe", in: dir + "/plugins")
        try #"{ "probe": { "strategy": "probe" } }"#.write(toFile: dir + "/probe.json", atomically: true, encoding: .utf8)
        var probeEnvironment = environment
        probeEnvironment["PROBE_FILE"] = dir + "/probe.txt"
        let r = try harness(["compare", "--strategies", "probe", "--no-baseline", "--plugin-path", dir + "/plugins", "--config", dir + "/probe.json",
                             "--source", "fashion-mnist:0-4", "--target", photos, "--db", dir + "/c.sqlite"] + CompareTests.small(seeds: 1),
                            environment: probeEnvironment)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try String(contentsOfFile: dir + "/probe.txt", encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ") }
        let train = lines.filter { $0[0] == "train" }, eval = lines.filter { $0[0] == "eval" }
        XCTAssertEqual(train.count, 80)
        XCTAssertEqual(eval.count, 20 + 100)
        XCTAssertTrue(eval.allSatisfy { $0[1] == "-1" }, "evaluation images come without labels")
        XCTAssertEqual(Dictionary(grouping: train, by: { $0[1] }).mapValues(\.count).values.sorted(), [16, 16, 16, 16, 16])
        XCTAssertTrue(Set(train.map { $0[2] }).isDisjoint(with: eval.map { $0[2] }), "no training image is also a validation or test image")
    }

    func testADivergedTrialIsNeverSelectedAndAStrategyWhoseEveryTrialFailsIsAFailedRow() throws {
        let dir = try temporaryDirectory()
        try """
            { "wild":   { "strategy": "scratch", "training": { "lr": { "choice": [1e30], "default": 0.02 } } },
              "doomed": { "strategy": "scratch", "training": { "lr": 1e30, "weight_decay": { "choice": [0.0001, 0.001] } } } }
            """.write(toFile: dir + "/s.json", atomically: true, encoding: .utf8)
        let r = try harness(["compare", "--strategies", "wild,doomed", "--no-baseline", "--config", dir + "/s.json", "--trials", "5",
                             "--db", dir + "/r.sqlite"] + CompareTests.small(seeds: 1), environment: ["HARNESS_CACHE_DIR": dir + "/cache"])
        XCTAssertEqual(r.status, 3, "doomed failed: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("5 of 5 cells to run"), "wild has 2 distinct trials, doomed 3: \(r.stderr)")
        let wild = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains(" wild ") })
        XCTAssertTrue(wild.hasPrefix("   1"), "wild is ranked on its finished trial: \(wild)")
        XCTAssertTrue(wild.contains("lr=0.02"), "the finished trial was selected: \(wild)")
        XCTAssertTrue(r.stdout.contains("Failed trials (never selected; other trials of the same seed were):\n  wild, seed 1 trial 1: strategy wild failed: train: training diverged"),
                      r.stdout)
        XCTAssertTrue(r.stdout.contains("help: lower the lr of 'wild' in strategies.json (this cell's is 1e+30)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Failed cells:\n  doomed, seed 1: all 3 trials failed; first: strategy doomed failed: train: training diverged"), r.stdout)
    }

    func testTransferCurveTunesEveryPointTheSameWay() throws {
        let dir = try temporaryDirectory()
        let r = try harness(["transfer-curve", "--layers", "2", "--trials", "2", "--db", dir + "/r.sqlite", "--out", dir + "/curve"]
                            + CompareTests.small(seeds: 1), environment: ["HARNESS_CACHE_DIR": dir + "/cache"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("12 of 12 cells to run"), "baseB and 5 treatments, 2 trials each: \(r.stderr)")
        let table = try String(contentsOfFile: dir + "/curve/transfer-curve.md", encoding: .utf8)
        XCTAssertTrue(table.contains("Every point tuned: per seed, the best of up to 2 trials (random search) by accuracy on validation images"), table)
        let row = try XCTUnwrap(table.split(separator: "\n").first { $0.hasPrefix("| 2 |") })
        XCTAssertFalse(row.contains("—"), "every treatment has a selected trial: \(row)")
        let board = try harness(["leaderboard", "--db", dir + "/r.sqlite", "--format", "trials"])
        XCTAssertEqual(csvRecords(board.stdout).filter { $0["selected"] == "true" && $0["refit"] == "false" && $0["status"] == "ok" }.count, 6, board.stdout)
    }

    func testEarlyStoppingKeepsEachRunsBestValidationEpoch() throws {
        let dir = try temporaryDirectory()
        let r = try harness(["compare", "--strategies", "finetune", "--no-baseline", "--early-stopping", "--db", dir + "/r.sqlite"]
                            + CompareTests.small(seeds: 2), environment: ["HARNESS_CACHE_DIR": dir + "/cache"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Early stopping: every training run keeps the weights of its epoch with the best validation accuracy."), r.stdout)
        let trials = csvRecords(try harness(["leaderboard", "--db", dir + "/r.sqlite", "--format", "trials"]).stdout)
        XCTAssertEqual(trials.count, 2)
        for record in trials {
            XCTAssertTrue(["1", "2"].contains(record["kept_epochs"] ?? ""), "one training run of 2 epochs, its kept epoch recorded: \(record)")
        }
    }

    func testBadTuningOptionsAreClearErrors() throws {
        assertOneLineError(try harness(["compare", "--trials", "3", "--validation-per-class", "0"]),
                           mentions: "--trials, --refit and --early-stopping choose on validation images, and --validation-per-class 0 holds none out")
        assertOneLineError(try harness(["compare", "--validation-per-class", "half"]),
                           mentions: "The value 'half' is invalid for '--validation-per-class <K|fraction>'")
        assertOneLineError(try harness(["compare", "--search", "bayes"]), mentions: "The value 'bayes' is invalid for '--search <method>'. Please provide one of 'random' and 'grid'.")
        assertOneLineError(try harness(["compare", "--refit", "--early-stopping"]), mentions: "use one of --refit and --early-stopping")
    }
}
