// Early stopping on validation images: the network ends with the weights of its best epoch.
import XCTest
@testable import HarnessCore
@testable import HarnessMetrics
@testable import HarnessEngine
@testable import StrategyHost

final class EarlyStoppingTests: XCTestCase {
    func testTheNetworkEndsWithItsBestValidationEpochsWeights() throws {
        var d = try FashionFixture.load()
        d.train = d.train.stratified(perClass: 10, seed: 2)
        d.test = d.test.stratified(perClass: 10, seed: 2)
        d.normalizeWithTrainingStatistics()
        // Validation labels shifted by one class: a score that training does not simply raise
        // epoch after epoch, so the best epoch falls inside the run and restoring it matters.
        var validation = d.test
        validation.labels = validation.labels.map { ($0 + 1) % 10 }
        let net = try Network(spec: .standard(classes: 10), seed: 3)
        let keeper = BestEpoch(validation: validation)
        let report = try Trainer.train(net, on: d.train, hyperparameters: .testing(epochs: 6, batch: 16, lr: 0.02), seed: 3,
            evaluate: { keeper.epochEnded(net, epoch: $0) })
        let scores = report.epochs.map { $0.validationAccuracy! }
        XCTAssertEqual(scores.count, 6)
        let lastEpochs = ClassificationMetrics(predictions: net.predict(validation.pixels), labels: validation.labels, classCount: 10).accuracy
        XCTAssertEqual(lastEpochs, scores.last, "what the last epoch scored")
        keeper.restore(net)
        XCTAssertEqual(keeper.accuracy, scores.max())
        XCTAssertEqual(keeper.epoch, scores.firstIndex(of: scores.max()!)! + 1, "the earliest of the best epochs")
        XCTAssertLessThan(keeper.epoch, 6, "the best epoch is not the last here, so restoring matters: \(scores)")
        let restored = ClassificationMetrics(predictions: net.predict(validation.pixels), labels: validation.labels, classCount: 10).accuracy
        XCTAssertEqual(restored, keeper.accuracy, "the restored weights score what their epoch scored: \(scores)")
        XCTAssertNotEqual(restored, lastEpochs)
    }
}
