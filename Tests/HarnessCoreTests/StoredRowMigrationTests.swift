// A results database written before hyperparameters were one value (schema 0) is upgraded once
// when opened, and a comparison planned today finds every one of its cells finished.
//
// Tests/Fixtures/schema0-results.sqlite was written by the harness at 905fa39 (release build):
//   HARNESS_CACHE_DIR=/tmp/fx/cache harness compare --strategies freeze3,finetune,scratch[,freeze3-adabn] \
//     --db schema0-results.sqlite --source-per-class 40 --target-per-class 20 --eval-per-class 20 \
//     --base-epochs 1 --epochs 2 --batch 16 --seeds 2 --trials 2
// (first without freeze3-adabn, then with it: 14 cells, tuned trials with drawn lr and
// weight_decay among them, and batch_norm adabn.)
import XCTest
@testable import HarnessCore
@testable import HarnessData
@testable import HarnessEngine
@testable import StrategyHost
@testable import HarnessCompare

final class StoredRowMigrationTests: XCTestCase {
    func fixture() throws -> String {
        let db = try temporaryDirectory(self) + "/results.sqlite"
        try FileManager.default.copyItem(atPath: Repository.root + "/Tests/Fixtures/schema0-results.sqlite", toPath: db)
        return db
    }

    func testAnOldDatabaseIsUpgradedOnceAndItsComparisonResumesWithoutRerunningACell() throws {
        let db = try fixture()
        let database = try ResultsDatabase(path: db)
        let stored = try database.cells()
        XCTAssertEqual(stored.count, 14, "every stored row still decodes")
        XCTAssertEqual(try database.finishedKeys(), Set(stored.map(\.cell.key)), "every row is keyed as today's code keys its cell")
        XCTAssertEqual(Set(stored.map(\.cell.setting.key)).count, 1, "one comparison, one setting")
        let adabn = stored.filter { $0.cell.configuration == "freeze3-adabn" }
        XCTAssertEqual(adabn.map(\.cell.training.batchNorm), [.adabn, .adabn])
        XCTAssertTrue(stored.contains { $0.cell.training.learningRate != 0.05 }, "drawn rates survive the upgrade")
        XCTAssertEqual(Set(stored.map(\.cell.training.batchSize)), [16], "the batch size was the setting's")

        // The request that wrote it, planned today with the plugin builds it ran (their content
        // hashes as stored): every cell is already finished. Before hyperparameters were one
        // value, --batch also set the source network's batch size; today that is --base-batch.
        var r = ComparisonRequest(data: try DataPair.splitting(try DataSource(named: "fashion-mnist"), by: .random, seed: 1))
        r.sourcePerClass = 40
        r.targetPerClass = 20
        r.evalPerClass = 20
        r.seeds = 2
        r.trials = 2
        r.training = Hyperparameters.defaults.with(.epochs, .int(2)).with(.batchSize, .int(16))
        r.sourceTraining = Hyperparameters.sourceDefaults.with(.epochs, .int(1)).with(.batchSize, .int(16))
        let hashes = Dictionary(stored.map { ($0.cell.strategy, $0.cell.pluginHash!) }, uniquingKeysWith: { a, _ in a })
        let file = try StrategiesFile(path: Repository.root + "/strategies.json")
        let bindings = try scannedRegistry().bind(try ["freeze3", "finetune", "scratch", "freeze3-adabn"].map { try file.configuration(named: $0) },
                                                  checkingWith: PluginScanner(executable: Repository.harness, cacheFile: nil)).map { b in
            var plugin = b.plugin
            plugin.contentHash = hashes[plugin.name]!
            return try StrategyBinding(b.configuration, plugin: plugin)
        }
        let plan = try ComparisonPlan.make(r, strategies: bindings, threadsPerCell: 1, cache: NetworkCache(directory: try temporaryDirectory(self)))
        XCTAssertEqual(plan.cells.count, 14)
        let finished = try database.finishedKeys()
        XCTAssertEqual(plan.cells.filter { !finished.contains($0.key) }.map { "\($0.configuration) seed \($0.seed) trial \($0.trial ?? 0)" }, [],
                       "no cell of the old comparison runs again")

        // Opening again changes nothing.
        let again = try ResultsDatabase(path: db)
        XCTAssertEqual(try again.finishedKeys(), finished)
    }

    func testADatabaseOfANewerSchemaIsRefusedUntouched() throws {
        let db = try fixture()
        _ = try ResultsDatabase(path: db)
        try ResultsDatabase(path: db).execute("PRAGMA user_version = 99")
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        XCTAssertThrowsError(try ResultsDatabase(path: db)) { error in
            XCTAssertEqual("\(error)".split(separator: "\n").first.map(String.init),
                           "\(db) was written by a newer harness (database schema 99; this one reads up to 1); it was left untouched. "
                           + "help: use the newer harness, or another --db")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: db)), before)
    }
}
