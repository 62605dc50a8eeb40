import XCTest
@testable import HarnessCore
@testable import HarnessMetrics
@testable import HarnessCompare

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

    func testRanksPairsAndNeverHidesAFailingOrMissingRow() throws {
        let cells = [
            storedCell("scratch", seed: 1, accuracy: 0.80), storedCell("scratch", seed: 2, accuracy: 0.82), storedCell("scratch", seed: 3, accuracy: 0.81),
            storedCell("good", seed: 1, accuracy: 0.90), storedCell("good", seed: 2, accuracy: 0.91), storedCell("good", seed: 3, accuracy: 0.93),
            storedCell("flaky", seed: 1, accuracy: 0.85), storedCell("flaky", seed: 2, accuracy: nil),
            storedCell("broken", seed: 1, accuracy: nil),
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
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(board.render(.json).utf8)) as? [String: Any])
        let rows = try XCTUnwrap((doc["comparisons"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]])
        XCTAssertTrue(rows.contains { $0["strategy"] as? String == "flaky" })
    }

    func testACollapsedModelIsFlaggedNotPassedAsAnOrdinaryRow() {
        var collapsed = storedCell("hot", seed: 2, accuracy: 0.5)
        // Every image put in class 1: half right on a balanced set, about chance.
        collapsed.result.metrics = ClassificationMetrics(predictions: Array(repeating: 1, count: 100),
                                                         labels: Array(repeating: 0, count: 50) + Array(repeating: 1, count: 50), classCount: 2)
        collapsed.cell.setting.targetClassNames = ["Sandal", "Bag"]
        let board = Leaderboard(cells: [storedCell("hot", seed: 1, accuracy: 0.8), collapsed], baseline: "scratch", expectedSeeds: 2)
        XCTAssertEqual(board.rows[0].collapsed, ["seed 2: predicts Bag for every image"])
        let table = board.render(.table)
        XCTAssertTrue(table.contains("2 (1 collapsed)"), table)
        XCTAssertTrue(table.contains("Collapsed models (counted in the accuracy, which is about chance for them):\n  hot, seed 2: predicts Bag for every image"), table)
        XCTAssertTrue(board.render(.csv).contains(",1,"), "seeds_collapsed column")
        XCTAssertFalse(storedCell("ok", seed: 1, accuracy: 0.8).result.metrics!.isCollapsed)
    }

    /// Statistics that say when they cannot say: two seeds give no interval and no p-value (once
    /// "55.63 ± 333.28"), p-values against one baseline are Holm-adjusted and labelled, and a
    /// mean below chance is flagged.
    func testTwoSeedsGiveNoIntervalAndBelowChanceIsFlagged() {
        // Two target classes (chance 50%).
        let two = [storedCell("scratch", seed: 1, accuracy: 0.60), storedCell("scratch", seed: 2, accuracy: 0.70),
                   storedCell("worse", seed: 1, accuracy: 0.30), storedCell("worse", seed: 2, accuracy: 0.40)]
        let board = Leaderboard(cells: two, baseline: "scratch")
        let table = board.render(.table)
        XCTAssertNil(table.range(of: #"± \d"#, options: .regularExpression), table)
        XCTAssertFalse(table.contains("(p="), table)
        XCTAssertTrue(table.contains("Fewer than 3 seeds: no interval or p-value is given"), table)
        XCTAssertTrue(table.contains("Below chance (50.00% for 2 classes"), table)
        XCTAssertTrue(table.contains("  worse: 35.00%"), table)

        let three = (1...3).flatMap { seed -> [StoredCell] in
            let s = UInt64(seed)
            return [storedCell("scratch", seed: s, accuracy: 0.60 + 0.01 * Double(seed)), storedCell("a", seed: s, accuracy: 0.70 + 0.02 * Double(seed % 2)),
                    storedCell("b", seed: s, accuracy: 0.66 + 0.015 * Double(seed))]
        }
        let tuned = Leaderboard(cells: three, baseline: "scratch")
        let raw = tuned.rows.compactMap { $0.versusBaseline?.pValue }
        XCTAssertEqual(raw.count, 2)
        XCTAssertEqual(tuned.rows.compactMap(\.adjustedP).sorted(), PairedTTest.holm(raw).compactMap { $0 }.sorted())
        XCTAssertTrue(tuned.render(.table).contains("Holm-adjusted for the 2 strategies compared with scratch"), tuned.render(.table))
    }

    /// Captions from what ran: 40 and 32 images in two classes under a request of 100 were once
    /// captioned "100 training images per class (80 to train on, 20 held out)".
    func testTheCaptionCountsWhatRan() {
        var setting = storedCell("scratch", seed: 1, accuracy: 0.5).cell.setting
        setting.targetPerClass = 100
        setting.validation = .standard
        let caption = Leaderboard.countsCaption(ImageCounts(train: [40, 32], test: [10, 10]), setting)
        XCTAssertEqual(caption, ", 32-40 training images per class (100 asked for) (26-32 to train on, 6-8 held out for validation), 10 test images per class, batch 1")
    }

    /// The percentile bootstrap over seeds, on request: inside the data's range, seeded (the
    /// same values give the same interval), absent below 3 seeds, and in the CSV either way.
    func testABootstrapIntervalOverSeedsCanBeShown() {
        let values = [0.80, 0.82, 0.85, 0.79, 0.90, 0.84, 0.81, 0.86, 0.83, 0.88]
        let b = Summary(values).bootstrap95!
        XCTAssertEqual(b, Summary(values).bootstrap95!, "seeded")
        XCTAssertGreaterThan(b[0], values.min()!)
        XCTAssertLessThan(b[1], values.max()!)
        XCTAssertLessThan(b[0], Summary(values).mean)
        XCTAssertGreaterThan(b[1], Summary(values).mean)
        // About the t interval's width with 10 values (the bootstrap's is a little narrower).
        let t = Summary(values).confidence95!
        XCTAssertEqual(b[1] - b[0], 2 * t, accuracy: 0.6 * t)
        XCTAssertEqual(Summary([0.5, 0.5, 0.5]).bootstrap95, [0.5, 0.5])
        XCTAssertNil(Summary([0.5, 0.6]).bootstrap95)
        var board = Leaderboard(cells: (1...3).map { storedCell("scratch", seed: UInt64($0), accuracy: [0.6, 0.7, 0.65][$0 - 1]) }, baseline: "scratch")
        board.interval = .bootstrap
        let table = board.render(.table)
        XCTAssertTrue(table.contains("accuracy % [95% bootstrap]"), table)
        XCTAssertTrue(table.contains("65.00 [60.00, 70.00]"), table)
        XCTAssertTrue(table.contains("percentile-bootstrap"), table)
        XCTAssertTrue(board.render(.csv).contains("accuracy_bootstrap_low,accuracy_bootstrap_high"))
    }
}
