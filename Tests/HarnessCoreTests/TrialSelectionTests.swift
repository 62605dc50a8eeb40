// Model selection looks at validation accuracy only: failed and diverged trials are never
// selected, ties go to the untuned configuration, and test accuracy changes nothing.
import XCTest
@testable import HarnessCore
@testable import HarnessSupport
@testable import HarnessMetrics
@testable import HarnessCompare

final class TrialSelectionTests: XCTestCase {
    /// A trial cell: `validation` and `test` accuracies, or a failure when both are nil.
    func trial(_ configuration: String, seed: UInt64, trial: Int, validation: Double?, test: Double?) -> StoredCell {
        var s = storedCell(configuration, seed: seed, accuracy: test)
        s.cell.trial = trial
        s.cell.training = .testing(epochs: 1, batch: 1, lr: 0.01 * Double(trial + 1))
        s.cell.searched = [SearchedName(name: "lr", space: "log-uniform[0.001, 0.1]", logarithmic: true)]
        s.cell.setting.validation = .fraction(0.2)
        s.result.key = s.cell.key
        if let validation {
            let correct = Int((validation * 100).rounded())
            s.result.validation = ClassificationMetrics(predictions: Array(repeating: 0, count: correct) + Array(repeating: 1, count: 100 - correct),
                                                        labels: Array(repeating: 0, count: 100), classCount: 2)
        }
        if test == nil { s.result = .failure(s.cell.key, "strategy x failed: training diverged: the loss became NaN", seconds: 1) }
        return s
    }

    func testTheBestValidationAccuracyIsSelectedNeverAFailedTrialAndTiesGoToTrialZero() {
        let cells = [
            trial("a", seed: 1, trial: 0, validation: 0.70, test: 0.90),
            trial("a", seed: 1, trial: 1, validation: 0.80, test: 0.60),  // best on validation, worse on test: still selected
            trial("a", seed: 1, trial: 2, validation: nil, test: nil),    // diverged
            trial("a", seed: 2, trial: 0, validation: 0.75, test: 0.70),
            trial("a", seed: 2, trial: 1, validation: 0.75, test: 0.99),  // a tie: the untuned configuration keeps it
            trial("b", seed: 1, trial: 0, validation: nil, test: nil),
            trial("b", seed: 1, trial: 1, validation: nil, test: nil),
        ]
        let selection = TrialSelection(cells)
        XCTAssertEqual(selection.choices["a"]?[1]?.selected?.cell.trial, 1)
        XCTAssertEqual(selection.choices["a"]?[2]?.selected?.cell.trial, 0)
        XCTAssertNil(selection.choices["b"]?[1]?.selected, "every trial failed")
        XCTAssertTrue(selection.isTuned)

        let board = Leaderboard(cells: cells, baseline: "a", order: ["a", "b"], expectedSeeds: 2)
        let a = board.rows.first { $0.configuration == "a" }!, b = board.rows.first { $0.configuration == "b" }!
        XCTAssertEqual(a.accuracy.mean, 0.65, accuracy: 1e-9, "the test accuracy of the selected trials: 0.60 and 0.70")
        XCTAssertEqual(a.validation.mean, 0.775, accuracy: 1e-9)
        XCTAssertEqual(a.trials, 3)
        XCTAssertEqual(a.failedTrials.count, 1)
        XCTAssertTrue(a.failures.isEmpty, "a failed trial beside finished ones is not a failed seed")
        XCTAssertEqual(a.chosen, "lr=0.01-0.02")
        XCTAssertEqual(b.accuracy.n, 0)
        XCTAssertEqual(b.failures, ["seed 1: all 2 trials failed; first: strategy x failed: training diverged: the loss became NaN"])
        XCTAssertTrue(board.hasFailures)
        let table = board.render(.table)
        XCTAssertTrue(table.contains("Selection: per strategy and seed, the trial with the best validation accuracy among up to 3"), table)
        XCTAssertTrue(table.contains("Failed trials (never selected; other trials of the same seed were):\n  a, seed 1 trial 2:"), table)
        let trials = board.render(.trials).split(separator: "\n")
        XCTAssertEqual(trials.count, 1 + 7, "a header and every trial")
        XCTAssertEqual(trials.filter { $0.contains(",true,false,") }.count, 2, "two selected trials")
    }

    func testPermutingTestAccuraciesChangesNoSelection() {
        var cells: [StoredCell] = []
        var g = SeededGenerator(seed: 3)
        for seed in 1...3 as ClosedRange<UInt64> {
            for t in 0..<6 { cells.append(trial("a", seed: seed, trial: t, validation: Double(g.next() % 100) / 100, test: 0.5)) }
        }
        let before = TrialSelection(cells).choices["a"]!.mapValues { $0.selected!.cell.trial! }
        // New test accuracies, drawn at random: what was selected does not move.
        let shuffled = cells.map { c -> StoredCell in
            var c = c
            let correct = Int(g.next() % 100)
            c.result.metrics = ClassificationMetrics(predictions: Array(repeating: 0, count: correct) + Array(repeating: 1, count: 100 - correct),
                                                     labels: Array(repeating: 0, count: 100), classCount: 2)
            return c
        }
        XCTAssertEqual(TrialSelection(shuffled).choices["a"]!.mapValues { $0.selected!.cell.trial! }, before)
    }

    func testARefitReplacesTheSelectedTrialsTestAccuracy() {
        let chosen = trial("a", seed: 1, trial: 1, validation: 0.9, test: 0.6)
        var refit = storedCell("a", seed: 1, accuracy: 0.8)
        refit.cell = TrialSelection.refitCell(of: chosen.cell)
        let board = Leaderboard(cells: [trial("a", seed: 1, trial: 0, validation: 0.5, test: 0.9), chosen, refit], baseline: "a")
        XCTAssertEqual(board.rows[0].accuracy.mean, 0.8, accuracy: 1e-9)
        XCTAssertEqual(board.rows[0].refits, 1)
        XCTAssertTrue(board.render(.table).contains("Refit: the selected configuration retrained on training + validation images"))
    }
}
