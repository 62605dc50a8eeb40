// The bundled strategies, loaded from the .so files the package builds, on a small Fashion-MNIST
// transfer task: source network on classes A, target classes B (5 each, chance 20%).
import XCTest
@testable import HarnessCore

final class StrategyRunTests: XCTestCase {
    struct Setup {
        var base: Network
        var selfNetwork: Network
        var target: Dataset
        var file: StrategiesFile
        var registry: PluginRegistry
    }

    nonisolated(unsafe) static var cached: Setup?

    /// Trains the source network (on A) and the self-transfer network (on B) once for all tests.
    func setup() throws -> Setup {
        if let s = Self.cached { return s }
        let all = try FashionFixture.load()
        let split = ClassSplit.random(classCount: 10, seed: 1)
        func task(_ classes: [Int], train: Int, test: Int) -> Dataset {
            var d = all.restricted(to: classes)
            d.train = d.train.stratified(perClass: train, seed: 2)
            d.test = d.test.stratified(perClass: test, seed: 2)
            d.normalizeWithTrainingStatistics()
            return d
        }
        let source = task(split.a, train: 100, test: 10), target = task(split.b, train: 40, test: 40)
        let settings = TrainingSettings(epochs: 4, batchSize: 32, optimizer: OptimizerSettings(learningRate: 0.02), seed: 3)
        let base = try Network(spec: .standard(classes: 5), seed: 3)
        _ = try Trainer.train(base, on: source.train, settings: settings)
        let selfNet = try Network(spec: .standard(classes: 5), seed: 4)
        _ = try Trainer.train(selfNet, on: target.train, settings: settings)
        let s = Setup(base: base, selfNetwork: selfNet, target: target,
                      file: try StrategiesFile(path: Repository.root + "/strategies.json"),
                      registry: scannedRegistry())
        Self.cached = s
        return s
    }

    func run(_ name: String, trained: ((Network, TrainingReport) -> Void)? = nil) throws -> Double {
        let s = try setup()
        let config = try s.file.configuration(named: name)
        return try run(try ConfiguredStrategy(config, plugin: try s.registry.loaded(config.strategy)), trained: trained)
    }

    func run(_ strategy: ConfiguredStrategy, trained: ((Network, TrainingReport) -> Void)? = nil) throws -> Double {
        let s = try setup()
        let task = TransferTask(source: strategy.configuration.source == .self ? s.selfNetwork : s.base, train: s.target.train,
                                evalPixels: s.target.test.pixels, evalCount: s.target.test.count, classes: 5,
                                seed: 7, epochs: 6, batchSize: 16, learningRate: 0.02)
        let predictions = try strategy.run(task, trained: trained)
        return ClassificationMetrics(predictions: predictions, labels: s.target.test.labels, classCount: 5).accuracy
    }

    func testEveryConfigurationLearnsWellAboveChance() throws {
        for c in try setup().file.configurations {
            let accuracy = try run(c.name)
            print(String(format: "strategy %@: %.3f", c.name, accuracy))
            XCTAssertGreaterThan(accuracy, 0.45, "\(c.name): \(accuracy) on 5 classes (chance 0.2)")
        }
    }

    func testFreezeNKeepsCopiedLayersBitIdentical() throws {
        let base = try setup().base
        var seen: Network?
        _ = try run("freeze3") { net, _ in seen = net }
        let net = try XCTUnwrap(seen)
        for layer in ["conv1", "conv2", "conv3"] {
            XCTAssertEqual(try net.parameters(of: layer).map(\.values), try base.parameters(of: layer).map(\.values), layer)
        }
        XCTAssertNotEqual(try net.parameters(of: "conv4")[0].values, try base.parameters(of: "conv4")[0].values)
    }

    func testFinetuneChangesTheCopiedLayers() throws {
        let base = try setup().base
        var seen: Network?
        _ = try run("finetune") { net, _ in seen = net }
        let net = try XCTUnwrap(seen)
        for layer in ["conv1", "fc7"] {
            let after = try net.parameters(of: layer)[0].values, before = try base.parameters(of: layer)[0].values
            XCTAssertNotEqual(after, before, layer)
            // Copied, then moved a little at lr x0.1: still much closer to the source than a fresh layer.
            let moved = zip(after, before).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(moved, 0.05, layer)
        }
    }

    func testSVMCodesNeverTrainsTheNetwork() throws {
        let base = try setup().base
        let before = base.parameters.map(\.values)
        var trainings = 0
        for name in ["svm-codes", "softmax-codes"] { _ = try run(name) { _, _ in trainings += 1 } }
        XCTAssertEqual(trainings, 0)
        XCTAssertEqual(base.parameters.map(\.values), before)
    }

    func testConservationStaysCloserToTheSourceThanFinetuningAtTheSameRate() throws {
        let base = try setup().base
        func distance(_ name: String, _ params: [(String, ParameterValue)]) throws -> Float {
            let s = try setup()
            let config = StrategyConfiguration(name: name, strategy: "conservation", parameters: params, source: .base,
                                               description: "", place: "", parameterPlaces: [:])
            var d: Float = 0
            _ = try run(try ConfiguredStrategy(config, plugin: try s.registry.loaded("conservation"))) { net, _ in
                d = try! net.parameters(of: "fc6")[0].values.enumerated().reduce(0) { acc, e in
                    let diff = e.1 - (try! base.parameters(of: "fc6")[0].values[e.0]); return acc + diff * diff
                }
            }
            return d
        }
        let free = try distance("plain", [("l2sp", .double(0)), ("lr_mult", .double(1))])
        let held = try distance("held", [("l2sp", .double(1.0)), ("lr_mult", .double(1))])
        XCTAssertLessThan(held, free * 0.9, "L2-SP must pull fc6 toward the source weights")
    }

    func testACStrategyBuiltAgainstTheHeaderAloneRuns() throws {
        let dir = try temporaryDirectory(self)
        let so = try compilePlugin(try String(contentsOfFile: Repository.root + "/examples/c-strategy/copy_n.c"), named: "copy-n", in: dir)
        let registry = scannedRegistry([dir])
        XCTAssertEqual(try registry.plugin(named: "copy-n").path, so)
        let plugin = try registry.loaded("copy-n")
        let config = StrategyConfiguration(name: "copy2", strategy: "copy-n", parameters: [("n", .int(2)), ("lr_mult", .double(0))],
                                           source: .base, description: "", place: "", parameterPlaces: [:])
        var seen: Network?
        let accuracy = try run(try ConfiguredStrategy(config, plugin: plugin)) { net, _ in seen = net }
        XCTAssertGreaterThan(accuracy, 0.45)
        XCTAssertEqual(try seen!.parameters(of: "conv2")[0].values, try setup().base.parameters(of: "conv2")[0].values, "lr_mult 0 froze conv2")
    }

    func testOutOfRangeLayerCountsAreTheStrategysError() throws {
        let s = try setup()
        let config = StrategyConfiguration(name: "freeze9", strategy: "freeze-n", parameters: [("n", .int(9))], source: .base,
                                           description: "", place: "", parameterPlaces: [:])
        XCTAssertThrowsError(try run(try ConfiguredStrategy(config, plugin: try s.registry.loaded("freeze-n")))) {
            XCTAssertTrue("\($0)".contains("n = 9: must be between 0 and 7"), "\($0)")
        }
    }
}
