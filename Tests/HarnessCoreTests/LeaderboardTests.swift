import XCTest
@testable import HarnessCore

final class LeaderboardTests: XCTestCase {
    func testPairedTTestMatchesSciPy() throws {
        // scipy.stats.ttest_rel([.90, .92, .95, .91], [.88, .90, .91, .90]).pvalue
        let t = PairedTTest([0.90, 0.92, 0.95, 0.91], [0.88, 0.90, 0.91, 0.90])
        XCTAssertEqual(try XCTUnwrap(t.pValue), 0.03738607346849838, accuracy: 1e-9)
        XCTAssertEqual(t.meanDifference, 0.0225, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(PairedTTest([0.5, 0.7, 0.6], [0.55, 0.6, 0.65]).pValue), 1, accuracy: 1e-9)
        XCTAssertEqual(PairedTTest.twoSidedP(t: 2.5, degreesOfFreedom: 10), 0.03144684423660882, accuracy: 1e-9)  // 2 * t.sf(2.5, 10)
        XCTAssertNil(PairedTTest([0.9], [0.8]).pValue)
    }

    func stored(_ configuration: String, seed: UInt64, accuracy: Double?) -> StoredCell {
        let setting = ComparisonSetting(data: .fashionMNIST(directory: nil), datasetName: "d", datasetFingerprint: "f", splitName: "s",
                                        sourceClasses: [0], targetClasses: [1, 2], targetPerClass: nil, evalPerClass: nil,
                                        epochs: 1, batchSize: 1, learningRate: 0.1)
        let cell = Cell(setting: setting, configuration: configuration, strategy: configuration, pluginPath: "", pluginVersion: "1",
                        parameters: [:], parameterOrder: [], source: "base", sourceNetwork: "", sourceKey: "", seed: seed, threads: 1)
        let result: CellResult
        if let accuracy {
            let correct = Int(accuracy * 100)
            let metrics = ClassificationMetrics(predictions: Array(repeating: 0, count: correct) + Array(repeating: 1, count: 100 - correct),
                                                labels: Array(repeating: 0, count: 100), classCount: 2)
            result = CellResult(key: cell.key, status: .ok, error: nil, metrics: metrics, seconds: 1, trainableParameters: 10, curve: [])
        } else {
            result = .failure(cell.key, "crashed: signal 11 (Segmentation fault)", seconds: 1)
        }
        return StoredCell(cell: cell, result: result, finishedAt: "")
    }

    func testRanksPairsAndNeverHidesAFailingOrMissingRow() {
        let cells = [
            stored("scratch", seed: 1, accuracy: 0.80), stored("scratch", seed: 2, accuracy: 0.82), stored("scratch", seed: 3, accuracy: 0.81),
            stored("good", seed: 1, accuracy: 0.90), stored("good", seed: 2, accuracy: 0.91), stored("good", seed: 3, accuracy: 0.93),
            stored("flaky", seed: 1, accuracy: 0.85), stored("flaky", seed: 2, accuracy: nil),
            stored("broken", seed: 1, accuracy: nil),
        ]
        let board = Leaderboard(cells: cells, baseline: "scratch", order: ["good", "flaky", "broken", "never", "scratch"], expectedSeeds: 3)
        XCTAssertEqual(board.rows.map(\.configuration), ["good", "flaky", "scratch", "broken", "never"])
        XCTAssertEqual(board.rows.map(\.rank), [1, 2, 3, nil, nil])
        let good = board.rows[0]
        XCTAssertEqual(good.accuracy.mean, 0.91333333333333333, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(good.versusBaseline).meanDifference, 0.10333333333333333, accuracy: 1e-9)
        XCTAssertEqual(board.rows[1].shortfall, " (1 failed, 1 missing)")
        XCTAssertEqual(board.rows[3].failures, ["seed 1: crashed: signal 11 (Segmentation fault)"])
        XCTAssertEqual(board.rows[4].missing, 3)
        XCTAssertTrue(board.hasFailures)
        let table = board.render(.table)
        XCTAssertTrue(table.contains("broken, seed 1: crashed: signal 11"), table)
        XCTAssertTrue(table.contains("95% confidence interval"), table)
        XCTAssertTrue(board.render(.markdown).hasPrefix("| rank | strategy |"))
        XCTAssertEqual(board.render(.csv).split(separator: "\n").count, 6)
        XCTAssertTrue(board.render(.latex).contains("\\begin{tabular}"))
        XCTAssertTrue(board.render(.json).contains("\"configuration\" : \"flaky\""))
    }
}
