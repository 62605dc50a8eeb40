// The report's figures to a scientific standard: accuracy as points with intervals, a chance
// line, whiskers that say where they were cut, a heat map over the whole 0-100% range with a
// legend, and the table's flags and step counts on the page.
import XCTest
@testable import HarnessCore
@testable import HarnessCompare
@testable import HarnessReport
@testable import HarnessEngine

final class ReportFigureTests: XCTestCase {
    private func cells(_ accuracies: [String: [Double]]) -> [StoredCell] {
        accuracies.flatMap { name, values in values.enumerated().map { storedCell(name, seed: UInt64($0.offset + 1), accuracy: $0.element) } }
    }

    func testAccuracyIsPointAndIntervalWithChanceAndCutWhiskersSaid() {
        // Two classes: chance is 50%. 'wild' spreads so far that its interval passes 100%.
        let report = ComparisonReport(cells: cells(["scratch": [0.60, 0.62, 0.64], "wild": [0.55, 0.99, 0.70]]))
        let svg = report.accuracyFigure
        XCTAssertTrue(svg.contains("chance 50%"), "a dashed chance line, labelled")
        XCTAssertTrue(svg.contains("stroke-dasharray"))
        XCTAssertTrue(svg.contains("<polygon"), "the cut whisker ends in an arrowhead")
        XCTAssertTrue(svg.contains("intervals cut at the axis (arrowheads): wild ("), svg)
        XCTAssertFalse(svg.contains("scratch ("), "an interval inside the axis is not listed")
        // Chance far below the data is said, not drawn across an axis stretched to it.
        let far = ComparisonReport(cells: cells(["scratch": [0.90, 0.91, 0.92]])).accuracyFigure
        XCTAssertTrue(far.contains("chance (50%) is below the axis"), far)
    }

    func testTheHeatMapSpansTheWholeRangeWithALegend() {
        var low = storedCell("scratch", seed: 1, accuracy: 0.3)
        low.result.metrics = ClassificationMetrics(predictions: [0, 1, 1, 1], labels: [0, 0, 1, 1], classCount: 2)  // 50% and 100%
        let svg = ComparisonReport(cells: [low]).perClassFigure
        XCTAssertTrue(svg.contains(SVG.heat(0.5)), "50% is coloured halfway, no longer white")
        XCTAssertTrue(svg.contains(SVG.heat(1)))
        XCTAssertNotEqual(SVG.heat(0.5), SVG.heat(0))
        XCTAssertTrue(svg.contains(">0%<") && svg.contains(">100%<"), "a legend from 0 to 100%")
        XCTAssertTrue(svg.contains("red mark: chance (50%)"))
    }

    func testThePageCarriesStepsAndFlags() {
        var all = cells(["scratch": [0.6, 0.7, 0.65], "worse": [0.3, 0.35, 0.32]])
        let i = all.firstIndex { $0.cell.configuration == "scratch" && $0.cell.seed == 1 }!
        all[i].result.curve = (1...10).map { EpochRecord(epoch: $0, loss: 1.2, trainAccuracy: 0.5, learningRate: 0.1, seconds: 0, steps: 3) }
        let html = ComparisonReport(cells: all).html
        XCTAssertTrue(html.contains("<th>steps (epochs)</th>"))
        XCTAssertTrue(html.contains("Below chance"), "a below-chance mean is listed on the page too")
        XCTAssertTrue(html.contains("May be under-trained"))
        XCTAssertTrue(html.contains("scratch, seed 1: training loss ended at 1.200"))
        XCTAssertTrue(html.contains("overflow-x: auto"), "a wide table scrolls inside the page instead of overflowing it")
    }
}
