// What batch normalisation does with its statistics during transfer: frozen layers may keep the
// source's, and AdaBN estimates the target's.
import XCTest
@testable import HarnessCore
@testable import HarnessData
@testable import HarnessEngine
@testable import StrategyHost

final class BatchNormStatisticsTests: XCTestCase {
    let spec = NetworkSpec(channels: 1, height: 6, width: 6, layers: [
        .conv("conv", 4, kernel: 3, padding: 1), .batchNorm("bn"), .relu("relu"), .fc("fc", 3),
    ])

    func images(_ count: Int, seed: UInt64) -> ImageSet {
        ImageSet(channels: 1, height: 6, width: 6, pixels: gaussian(count * 36, seed: seed).map { 2 + 3 * $0 },
                 labels: (0..<count).map { $0 % 3 })
    }

    func bn(_ net: Network) -> BatchNormalization { net.batchNormLayers[0] }

    func testFrozenModeKeepsAFrozenLayersStatisticsAndBatchModeMovesThem() throws {
        let data = images(32, seed: 1)
        let settings = Hyperparameters.testing(epochs: 1, batch: 8)
        for mode in [BatchNormStatistics.frozen, .batch] {
            let net = try Network(spec: spec, seed: 1)
            bn(net).runningMean.values = [0.5, -0.5, 1, 0]  // the source's, as copied
            try net.setLearningRateMultiplier(0, layers: ["conv"])  // the unit: conv and bn
            net.prepareStatistics(mode)
            _ = try Trainer.train(net, on: data, hyperparameters: settings, seed: 1)
            if mode == .frozen {
                XCTAssertEqual(bn(net).runningMean.values, [0.5, -0.5, 1, 0], "a frozen layer computes what it did")
            } else {
                XCTAssertNotEqual(bn(net).runningMean.values, [0.5, -0.5, 1, 0], "PyTorch's train mode updates frozen layers' statistics")
            }
        }
        // A layer that trains uses its batches' statistics even in frozen mode.
        let net = try Network(spec: spec, seed: 1)
        net.prepareStatistics(.frozen)
        XCTAssertFalse(bn(net).freezesStatistics)
    }

    func testAdaBNEstimatesTheMeanAndVarianceOfTheLayersInputs() throws {
        let net = try Network(spec: spec, seed: 2)
        let data = images(20, seed: 3)
        XCTAssertEqual(net.reestimateStatistics(on: data, batch: 20), 1)
        // The conv's outputs over all 20 images: one batch, so the estimate is exact.
        let x = try net.features(at: "conv", for: data.pixels)
        for c in 0..<4 {
            let (mean, variance) = statistics(channel(c, of: x, images: 20))
            XCTAssertEqual(Double(bn(net).runningMean.values[c]), mean, accuracy: 1e-4 * max(1, abs(mean)))
            XCTAssertEqual(Double(bn(net).runningVariance.values[c]), variance, accuracy: 1e-3 * variance)
        }
        // Several batches weigh equally: the mean of the batch means.
        _ = net.reestimateStatistics(on: data, batch: 10)
        var means: [Double] = []
        for half in [data.subset(Array(0..<10)), data.subset(Array(10..<20))] {
            means.append(statistics(channel(0, of: try net.features(at: "conv", for: half.pixels), images: 10)).mean)
        }
        let expected = (means[0] + means[1]) / 2
        XCTAssertEqual(Double(bn(net).runningMean.values[0]), expected, accuracy: 1e-4 * max(1, abs(expected)))
    }

    /// Channel c of every image's 4x6x6 features.
    func channel(_ c: Int, of x: [Float], images: Int) -> [Double] {
        var values: [Double] = []
        for i in 0..<images { values += x[(i * 4 + c) * 36..<(i * 4 + c + 1) * 36].map(Double.init) }
        return values
    }

    /// Mean and unbiased variance.
    func statistics(_ v: [Double]) -> (mean: Double, variance: Double) {
        let mean = v.reduce(0, +) / Double(v.count)
        let squares = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
        return (mean, squares / Double(v.count - 1))
    }

    func testBatchNormIsAHyperparameterWhoseDefaultKeepsOtherCellsKeys() {
        var choice = Hyperparameters.testing(epochs: 3, batch: 64)
        XCTAssertEqual(choice.canonicalJSON, #"{"epochs":3}"#)
        choice[.batchNorm] = .string("adabn")
        XCTAssertEqual(choice.batchNorm, .adabn)
        XCTAssertEqual(choice.canonicalJSON, #"{"batch_norm":"adabn","epochs":3}"#)
        choice[.batchNorm] = .string("batch")
        XCTAssertEqual(choice.canonicalJSON, #"{"epochs":3}"#, "the default is left out, so it keys like no choice")
        XCTAssertFalse(Hyperparameter.batchNorm.accepts(.string("sometimes")))
    }

    func testAStrategyRunKeepsOrReestimatesTheCopiedStatisticsAsConfigured() throws {
        // A small residual network as the source, with statistics no target image would give.
        let spec = NetworkSpec.residual(blocksPerStage: 1, widths: [4, 8], classes: 3, shape: InputShape(channels: 1, height: 6, width: 6))
        let source = try Network(spec: spec, seed: 1)
        for b in source.buffers where b.name.hasSuffix("running_mean") { b.values = [Float](repeating: 7, count: b.count) }
        let file = try StrategiesFile(path: Repository.root + "/strategies.json")
        let registry = scannedRegistry()
        let target = images(48, seed: 9), test = images(12, seed: 10)
        for (name, mode) in [("freeze3-batch-bn", BatchNormStatistics.batch), ("freeze3-adabn", .adabn)] {
            let config = try file.configuration(named: name)
            XCTAssertEqual(config.training.first?.0, .batchNorm)
            var task = TransferTask(source: source, train: target, eval: test, classes: 3,
                                    seed: 1, training: .testing(epochs: 1, batch: 8, lr: 0.01))
            task.training.batchNorm = mode
            var lines: [String] = [], stem: [Float] = []
            _ = try ConfiguredStrategy(config, plugin: try registry.loaded(config.strategy)).run(task, log: { lines.append($0) }, trained: { net, _ in
                stem = net.buffers.first { $0.name == "bn1.running_mean" }!.values
            })
            if mode == .batch {
                XCTAssertNotEqual(stem, [Float](repeating: 7, count: 4), "PyTorch's train mode folds each batch into the frozen stem's statistics")
                XCTAssertFalse(lines.contains { $0.contains("adabn") })
            } else {
                XCTAssertFalse(stem.contains(7), "AdaBN replaced the source's statistics with the target's")
                XCTAssertTrue(lines.contains { $0.contains("adabn: re-estimated the running statistics of 6 batch normalisation layers on 48 training images") }, "\(lines)")
            }
        }
    }
}
