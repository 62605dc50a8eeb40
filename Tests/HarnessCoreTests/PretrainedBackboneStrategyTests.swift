// The strategies for a pretrained backbone select parameters by unit and by kind, and move only
// what they say: partial fine-tuning keeps the frozen units bit-identical and moves the rest
// from the source's values (not from a fresh start); BitFit moves only biases and batch-norm
// shifts; BN-only only batch normalisation's scale and shift; surgical only its one unit.
import XCTest
@testable import HarnessCore
@testable import HarnessData
@testable import HarnessEngine
@testable import StrategyHost

final class PretrainedBackboneStrategyTests: XCTestCase {
    nonisolated(unsafe) static var cached: (source: Network, target: Dataset)?

    /// A small network with biases and batch normalisation, trained briefly on five classes;
    /// the target is the other five. Units: conv1 (with bn1), conv2 (with bn2), fc3, fc4.
    func setup() throws -> (source: Network, target: Dataset) {
        if let c = Self.cached { return c }
        let all = try FashionFixture.load()
        func task(_ classes: [Int]) -> Dataset {
            var d = all.restricted(to: classes)
            d.train = d.train.stratified(perClass: 40, seed: 2)
            d.test = d.test.stratified(perClass: 20, seed: 2)
            d.normalizeWithTrainingStatistics()
            return d
        }
        let spec = NetworkSpec(channels: 1, height: 28, width: 28, layers: [
            .conv("conv1", 8, kernel: 3, padding: 1, stride: 2), .batchNorm("bn1"), .relu("relu1"),
            .conv("conv2", 16, kernel: 3, padding: 1, stride: 2), .batchNorm("bn2"), .relu("relu2"),
            .fc("fc3", 32), .relu("relu3"), .fc("fc4", 5),
        ])
        let source = try Network(spec: spec, seed: 3)
        _ = try Trainer.train(source, on: task([0, 1, 2, 3, 4]).train, hyperparameters: .testing(epochs: 2, batch: 32, lr: 0.05), seed: 3)
        Self.cached = (source, task([5, 6, 7, 8, 9]))
        return Self.cached!
    }

    /// Runs a configuration of strategies.json; returns the network it trained.
    func trained(_ configuration: String) throws -> Network {
        let (source, target) = try setup()
        let file = try StrategiesFile(path: Repository.root + "/strategies.json")
        let config = try file.configuration(named: configuration)
        let strategy = try ConfiguredStrategy(config, plugin: try scannedRegistry().loaded(config.strategy))
        let task = TransferTask(source: source, train: target.train, eval: target.test, classes: 5,
                                seed: 7, training: .testing(epochs: 2, batch: 16, lr: 0.05))
        var seen: Network?
        _ = try strategy.run(task, trained: { net, _ in seen = net })
        return try XCTUnwrap(seen, configuration)
    }

    /// Each parameter of the copied layers (conv1 ... fc3, not the new classifier fc4): unchanged or moved.
    func changes(_ net: Network) throws -> [String: Bool] {
        let source = try setup().source
        var out: [String: Bool] = [:]
        for layer in ["conv1", "bn1", "conv2", "bn2", "fc3"] {
            for (p, q) in zip(try net.parameters(of: layer), try source.parameters(of: layer)) { out[p.name] = p.values != q.values }
        }
        return out
    }

    func moved(_ changes: [String: Bool]) -> [String] { changes.filter(\.value).map(\.key).sorted() }

    func testPartialFinetuningFreezesTheFirstHalfAndFineTunesTheRestFromTheSourcesWeights() throws {
        let net = try trained("partial-ft")
        // Copied units conv1, conv2, fc3: the first half (one) is frozen.
        XCTAssertEqual(moved(try changes(net)), ["bn2.bias", "bn2.weight", "conv2.bias", "conv2.weight", "fc3.bias", "fc3.weight"])
        // Moved a little at lr x0.1, from the source's values: far closer to them than a fresh layer is.
        let source = try setup().source
        let fresh = try Network(spec: source.spec, seed: 99)
        for layer in ["conv2", "fc3"] {
            let after = try net.parameters(of: layer)[0].values, before = try source.parameters(of: layer)[0].values
            let initial = try fresh.parameters(of: layer)[0].values
            let fromSource = zip(after, before).map { Double(abs($0 - $1)) }.reduce(0, +)
            let fromFresh = zip(after, initial).map { Double(abs($0 - $1)) }.reduce(0, +)
            XCTAssertLessThan(fromSource * 10, fromFresh, "\(layer) starts from the source's weights")
        }
    }

    func testBitFitMovesOnlyBiasesAndBatchNormShifts() throws {
        XCTAssertEqual(moved(try changes(try trained("bitfit"))), ["bn1.bias", "bn2.bias", "conv1.bias", "conv2.bias", "fc3.bias"])
    }

    func testBNOnlyMovesOnlyBatchNormalisationsScaleAndShift() throws {
        XCTAssertEqual(moved(try changes(try trained("bn-only"))), ["bn1.bias", "bn1.weight", "bn2.bias", "bn2.weight"])
    }

    func testSurgicalMovesOnlyItsUnit() throws {
        XCTAssertEqual(moved(try changes(try trained("surgical-first"))), ["bn1.bias", "bn1.weight", "conv1.bias", "conv1.weight"])
        XCTAssertEqual(moved(try changes(try trained("surgical-last"))), ["fc3.bias", "fc3.weight"])
    }

    func testAnUnknownParameterKindListsTheKinds() throws {
        let net = try setup().source
        XCTAssertEqual(try net.setLearningRateMultiplier(0, kind: .bn, layers: ["*"]), 4)
        XCTAssertEqual(try net.setLearningRateMultiplier(1, kind: .all, layers: ["*"]), 12)
        let session = HostSession(log: { _ in }, progress: nil, trained: nil, task: try tinyTask(), unlabelled: nil)
        let table = HostEngine.table.pointee
        let handle = session.lend(session.task.source)
        XCTAssertEqual(table.set_parameter_learning_rate_multiplier(session.pointer, handle, "*", "scales", 0), 1)
        XCTAssertEqual(session.lastErrorText, "set_parameter_learning_rate_multiplier: unknown parameter kind 'scales' (kinds: all, weight, bias, bn)")
    }
}
