// Training budgets: a minimum of SGD steps raises the epochs of a run over few images (every
// trained strategy alike), the steps and epochs each cell took are recorded and shown, and a run
// that ended with its loss still clearly falling is flagged as possibly under-trained.
import XCTest
@testable import HarnessCore
@testable import HarnessEngine
@testable import HarnessData
@testable import HarnessCompare

final class TrainingBudgetTests: XCTestCase {
    func testMinimumStepsRaiseTheEpochsOfSmallTargetsOnly() {
        let h = Hyperparameters.defaults.with(.minSteps, .int(300))
        XCTAssertEqual(h.effectiveEpochs(images: 80), 300, "80 images at batch 64: one step an epoch")
        XCTAssertEqual(h.effectiveEpochs(images: 400), 50, "6 steps an epoch")
        XCTAssertEqual(h.effectiveEpochs(images: 10_000), 10, "156 steps an epoch: the epochs asked for")
        XCTAssertEqual(Hyperparameters.defaults.effectiveEpochs(images: 80), 10, "no minimum in the engine's own defaults")
        XCTAssertEqual(Hyperparameters.comparisonDefaults.minSteps, 300)
        // The budget is part of the key: cells stored before it (no min_steps) never match.
        XCTAssertEqual(Hyperparameters.comparisonDefaults.canonicalJSON, #"{"batch_norm":"frozen","min_steps":300}"#)
        XCTAssertThrowsError(try Hyperparameters.defaults.with(.minSteps, .int(-1)).validated())
    }

    func testTheTrainerTakesTheMinimumStepsAndRecordsThem() throws {
        let spec = NetworkSpec(channels: 1, height: 4, width: 4, layers: [.conv("conv1", 2, kernel: 3, padding: 1), .relu("relu1"), .fc("fc2", 2)])
        let net = try Network(spec: spec, seed: 1)
        let data = ImageSet(channels: 1, height: 4, width: 4, pixels: gaussian(20 * 16), labels: (0..<20).map { $0 % 2 })
        let h = Hyperparameters.testing(epochs: 2, batch: 8, lr: 0.01).with(.minSteps, .int(25))
        let report = try Trainer.train(net, on: data, hyperparameters: h, seed: 1)
        // 20 images at batch 8: 2 steps an epoch, so 13 epochs reach 25 steps.
        XCTAssertEqual(report.epochs.count, 13)
        XCTAssertEqual(TrainingCurve.steps(report.epochs), 26)
        XCTAssertEqual(report.images, 26 * 8)
    }

    private func curve(_ losses: [Double]) -> [EpochRecord] {
        losses.enumerated().map { EpochRecord(epoch: $0.offset + 1, loss: $0.element, trainAccuracy: 0.5, learningRate: 0.1, seconds: 0, steps: 1) }
    }

    func testARunThatBarelyLearnedOrStillFallsIsFlaggedAndAConvergedOneIsNot() {
        // Losses as measured on 5 classes (ln 5 = 1.61): 10 steps barely moved it; 100 steps of
        // fine-tuning were still falling; 300 steps ended flat.
        let barely = curve([1.61, 1.6, 1.55, 1.5, 1.45, 1.4, 1.35, 1.3, 1.28, 1.27])
        XCTAssertEqual(TrainingCurve.underTrained(barely, classes: 5), "training loss ended at 1.270, above half of 1.609 (guessing among 5 classes)")
        let falling = curve((0..<20).map { 0.7 - 0.03 * Double($0) })
        XCTAssertEqual(TrainingCurve.underTrained(falling, classes: 5), "training loss still falling, 0.295 -> 0.145 over the last quarter")
        var fitting = falling
        fitting[19].trainAccuracy = 1
        XCTAssertNil(TrainingCurve.underTrained(fitting, classes: 5), "a falling loss on training images it already fits is no sign")
        let converged = curve((0..<20).map { 0.005 + 1.6 * exp(-Double($0)) })
        XCTAssertNil(TrainingCurve.underTrained(converged, classes: 5))
        XCTAssertNil(TrainingCurve.underTrained(curve([0.9, 0.5, 0.2]), classes: 5), "too short to judge a trend")
        // Only the last run counts: a probe that ended falling, then a fine-tuning run that converged.
        XCTAssertNil(TrainingCurve.underTrained(falling + converged, classes: 5))
        XCTAssertEqual(TrainingCurve.runs(falling + converged).map(\.count), [20, 20])
        XCTAssertEqual(TrainingCurve.steps(falling + converged), 40)
    }

    func testTheLeaderboardShowsStepsAndFlagsUnderTrainedCells() {
        var cells = [storedCell("scratch", seed: 1, accuracy: 0.6), storedCell("scratch", seed: 2, accuracy: 0.7),
                     storedCell("svm", seed: 1, accuracy: 0.8), storedCell("svm", seed: 2, accuracy: 0.8)]
        cells[0].result.curve = curve((0..<20).map { 0.7 - 0.03 * Double($0) })
        cells[1].result.curve = curve((0..<20).map { 0.005 + 0.6 * exp(-Double($0)) })
        let board = Leaderboard(cells: cells, baseline: "scratch")
        let scratch = board.rows.first { $0.configuration == "scratch" }!
        XCTAssertEqual(scratch.meanSteps, 20)
        XCTAssertEqual(scratch.meanEpochs, 20)
        XCTAssertEqual(scratch.underTrained.count, 1)
        XCTAssertNil(board.rows.first { $0.configuration == "svm" }!.meanSteps, "trains no network")
        let table = board.render(.table)
        XCTAssertTrue(table.contains("steps (epochs)"), table)
        XCTAssertTrue(table.contains("20 (20)"), table)
        XCTAssertTrue(table.contains("May be under-trained (the last training run barely learned, or ended with its loss still falling; raise --min-steps or --epochs):\n  scratch, seed 1: training loss still falling"), table)
        let header = board.render(.csv).split(separator: "\n")[0].split(separator: ",").map(String.init)
        XCTAssertTrue(["mean_steps", "mean_epochs", "under_trained"].allSatisfy(header.contains), "\(header)")
    }
}
