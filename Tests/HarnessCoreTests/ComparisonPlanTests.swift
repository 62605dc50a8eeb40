// A comparison's plan, built directly from a request: which source networks (by role) and which
// cells, in which order, without training anything; and the checks planning makes before any
// network trains.
import XCTest
@testable import HarnessCore
@testable import HarnessSupport
@testable import HarnessData
@testable import StrategyHost
@testable import HarnessCompare

final class ComparisonPlanTests: XCTestCase {
    func bindings(_ names: [String]) throws -> [StrategyBinding] {
        let file = try StrategiesFile(path: Repository.root + "/strategies.json")
        return try scannedRegistry().bind(try names.map { try file.configuration(named: $0) },
                                          checkingWith: PluginScanner(executable: Repository.harness, cacheFile: nil))
    }

    func request() throws -> ComparisonRequest {
        var r = ComparisonRequest(data: try DataPair.splitting(try DataSource(named: "fashion-mnist"), by: .random, seed: 1))
        r.sourcePerClass = 20
        r.targetPerClass = 10
        r.evalPerClass = 10
        r.seeds = 2
        return r
    }

    func testAPlanNamesItsSourceNetworksAndCellsTrialMajorWithoutTrainingAnything() throws {
        let cache = NetworkCache(directory: try temporaryDirectory(self) + "/cache")
        var r = try request()
        r.trials = 3
        let plan = try ComparisonPlan.make(r, strategies: try bindings(["freeze3", "bnb3", "scratch"]), threadsPerCell: 1, cache: cache)

        XCTAssertEqual(plan.sources.map(\.role), [.base, .self], "bnb3 starts from the self-transfer network")
        for source in plan.sources {
            XCTAssertFalse(source.exists, "planning trains nothing")
            XCTAssertTrue(source.path.hasPrefix(cache.directory + "/"), source.path)
            XCTAssertEqual(source.training?.recipe.key, source.key)
        }
        XCTAssertEqual(plan.source(.self)?.training?.recipe.normalization, plan.setting.normalization,
                       "the self-transfer network sees inputs normalised as the target task's")
        XCTAssertEqual(plan.setting.sourceClasses, ClassSplit.random(classCount: 10, seed: 1).a)

        // 3 strategies x 3 trials x 2 seeds, each once, every trial 0 before any trial 1.
        XCTAssertEqual(plan.cells.count, 18)
        XCTAssertEqual(Set(plan.cells.map(\.key)).count, 18)
        let trials = plan.cells.map { $0.trial ?? 0 }
        XCTAssertEqual(trials, trials.sorted(), "trial-major")
        XCTAssertEqual(Set(plan.cells.filter { $0.configuration == "bnb3" }.map(\.source)), [.self])
        XCTAssertEqual(Set(plan.cells.filter { $0.configuration == "bnb3" }.map(\.sourceNetwork)), [plan.source(.self)!.path])

        // A plan survives JSON (what a cluster job reads) with the same cells.
        let decoded = try HarnessJSON.decoder.decode(ComparisonPlan.self, from: try HarnessJSON.encoder.encode(plan))
        XCTAssertEqual(decoded.cells.map(\.key), plan.cells.map(\.key))

        // The same request plans the same cells; another split seed, other ones.
        XCTAssertEqual(try ComparisonPlan.make(r, strategies: try bindings(["freeze3", "bnb3", "scratch"]), threadsPerCell: 2, cache: cache).cells.map(\.key),
                       plan.cells.map(\.key), "threads are not part of a cell's key")
        r.splitSeed = 2
        r.data = try DataPair.splitting(try DataSource(named: "fashion-mnist"), by: .random, seed: 2)
        XCTAssertTrue(Set(try ComparisonPlan.make(r, strategies: try bindings(["freeze3"]), threadsPerCell: 1, cache: cache).cells.map(\.key))
            .isDisjoint(with: plan.cells.map(\.key)))
    }

    func testPlanningChecksTheDataBeforeAnyNetworkTrains() throws {
        let cache = NetworkCache(directory: try temporaryDirectory(self) + "/cache")
        var r = try request()
        r.targetLabels = 5  // a domain shift needs the same classes on both sides; a class split has none in common
        XCTAssertThrowsError(try ComparisonPlan.make(r, strategies: try bindings(["source-only"]), threadsPerCell: 1, cache: cache)) {
            XCTAssertTrue("\($0)".contains("--target-labels needs the same classes on both sides"), "\($0)")
        }
        r.targetLabels = nil
        r.data.target = try DataSpec("fashion-mnist:sandal,unicorn").resolved()
        XCTAssertThrowsError(try ComparisonPlan.make(r, strategies: try bindings(["freeze3"]), threadsPerCell: 1, cache: cache)) {
            XCTAssertTrue("\($0)".contains("unicorn"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.directory), "nothing was trained or cached")
    }

    func testATargetWithoutTestImagesForAClassIsRefusedBeforeAnythingTrains() throws {
        // Two photos per class: holding out a fifth for testing leaves none, so every row would be
        // scored on nothing (it once printed "ok" rows at 0.00%).
        let dir = try temporaryDirectory(self)
        for name in ["cat", "dog"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/photos/\(name)", withIntermediateDirectories: true)
            for i in 0..<2 {
                let planes = (0..<64).map { Float(($0 * 5 + i * 11 + name.count * 40) % 256) / 255 }
                try ImageFile.write(planes, shape: InputShape(channels: 1, height: 8, width: 8), to: "\(dir)/photos/\(name)/\(i).png")
            }
        }
        var r = try request()
        r.data = DataPair(source: try DataSpec("fashion-mnist:0-4"), target: try DataSpec(dir + "/photos"), splitName: "specs")
        r.inputShape = InputShape(channels: 1, height: 28, width: 28)
        let cache = NetworkCache(directory: dir + "/cache")
        XCTAssertThrowsError(try ComparisonPlan.make(r, strategies: try bindings(["scratch"]), threadsPerCell: 1, cache: cache)) {
            XCTAssertEqual("\($0)".split(separator: "\n").first.map(String.init),
                           "the target \(dir)/photos has no test images for cat, dog (test images per class: cat 0, dog 0). help: an image folder holds out "
                           + "a fifth of each class for testing (at least 3 images per class give one), or give DIR/train and DIR/test")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache.directory), "nothing was trained")
    }

    func testTheTransferCurveGridIsBuiltFromTheTemplatesInStrategiesJSON() throws {
        let file = try StrategiesFile(path: Repository.root + "/strategies.json")
        let grid = try TransferCurve.grid(layers: try TransferCurve.layerCounts("1-2,5", max: 7), from: file, tuned: false)
        XCTAssertEqual(grid.map(\.name), ["baseB"] + [1, 2, 5].flatMap { n in ["BnB n=\(n)", "BnB+ n=\(n)", "AnB n=\(n)", "AnB+ n=\(n)", "random n=\(n)"] })
        XCTAssertEqual(grid.filter { $0.source == .self }.count, 6)
        let anb5 = try XCTUnwrap(grid.first { $0.name == "AnB n=5" })
        XCTAssertEqual(anb5.strategy, "layer-transfer")
        XCTAssertEqual(anb5.parameters.map(\.0), ["layers", "trainable"])
        XCTAssertEqual(anb5.parameters.map(\.1), [.string("1-5"), .bool(false)])
        XCTAssertEqual(try XCTUnwrap(grid.first { $0.name == "random n=2" }).parameters.map(\.1), [.int(2)])
        XCTAssertTrue(grid.allSatisfy { $0.searches.isEmpty }, "untuned: no search spaces")
        let tuned = try TransferCurve.grid(layers: [3], from: file, tuned: true)
        XCTAssertEqual(tuned.first { $0.name == "AnB n=3" }?.searches.map(\.name), ["lr"], "the template's spaces, never the copied count")
        XCTAssertEqual(CurvePoints.treatments, TransferCurve.Treatment.allCases.map(\.rawValue))
        XCTAssertThrowsError(try TransferCurve.layerCounts("1-8", max: 7)) { XCTAssertTrue("\($0)".contains("--layers must lie in 1-7"), "\($0)") }
        let partial = try StrategiesFile(text: #"{ "s": { "strategy": "scratch", "curve": { "point": "baseB" } } }"#, path: "p.json")
        XCTAssertThrowsError(try TransferCurve.grid(layers: [1], from: partial, tuned: false)) {
            XCTAssertTrue("\($0)".hasPrefix("p.json has no configuration with \"curve\": { \"point\": \"BnB\" }"), "\($0)")
        }
        XCTAssertThrowsError(try StrategiesFile(text: #"{ "s": { "strategy": "scratch", "curve": { "point": "CnC" } } }"#, path: "p.json")) {
            XCTAssertEqual("\($0)", "p.json:1:33: 's': unknown curve point \"CnC\" (known: baseB, BnB, BnB+, AnB, AnB+, random)")
        }
    }
}

final class ComparisonRequestTests: XCTestCase {
    func testTheRulesThatTieChoicesTogetherAreCoresAndThePlanChecksThemFirst() throws {
        var r = ComparisonRequest(data: try DataPair.splitting(try DataSource(named: "fashion-mnist"), by: .random, seed: 1))
        XCTAssertNoThrow(try r.validate())
        r.refit = true
        r.earlyStopping = true
        XCTAssertThrowsError(try r.validate()) { error in
            let invalid = error as! ComparisonRequest.Invalid
            XCTAssertEqual(invalid.fields, [.refit, .earlyStopping])
            XCTAssertEqual(invalid.description, "refit retrains on the validation images too, so nothing is left to stop early on; use one of refit and early_stopping")
            XCTAssertEqual(invalid.description(naming: { "<\($0.rawValue)>" }),
                           "<refit> retrains on the validation images too, so nothing is left to stop early on; use one of <refit> and <early_stopping>")
        }
        // The plan refuses before loading anything: an unknown data set name would fail later.
        r.data.target = try DataSpec("fashion-mnist:0-4")
        XCTAssertThrowsError(try ComparisonPlan.make(r, strategies: [], threadsPerCell: 1, cache: NetworkCache(directory: try temporaryDirectory(self)))) {
            XCTAssertTrue($0 is ComparisonRequest.Invalid, "\($0)")
        }
        r.refit = false
        r.validation = nil
        r.trials = 4
        XCTAssertThrowsError(try r.validate()) {
            XCTAssertEqual("\($0)", "trials, refit and early_stopping choose on validation images, and validation 0 holds none out")
        }
        r.validation = ValidationSplit("20%")
        r.targetPerClass = 0
        XCTAssertThrowsError(try r.validate()) { XCTAssertEqual("\($0)", "target_per_class must be at least 1 (or left out for all images), not 0") }
    }
}
