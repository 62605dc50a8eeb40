import XCTest
@testable import HarnessCore
@testable import HarnessCompare

final class TransferCurveTests: XCTestCase {
    /// Four seeds per point, at v-1, v+1, v-1, v+1 percent: mean v, 95% interval ±1.84.
    func curve(baseB: [Double], _ treatments: [TransferCurve.Treatment: [Double]]) -> TransferCurve {
        var cells = baseB.enumerated().map { storedCell(TransferCurve.baseB, seed: UInt64($0.offset + 1), accuracy: $0.element / 100) }
        for (t, values) in treatments {
            for (i, v) in values.enumerated() {
                for seed in 1...4 { cells.append(storedCell(t.configuration(i + 1), seed: UInt64(seed), accuracy: (v + (seed % 2 == 0 ? 1 : -1)) / 100)) }
            }
        }
        return TransferCurve(cells: cells, layers: Array(1...7))
    }

    func testReadsThePapersFindingsWhenTheyAreThere() {
        let c = curve(baseB: [80, 80, 80, 80], [
            .anb: [81, 81, 80, 76, 72, 70, 68],
            .anbPlus: [82, 82, 83, 83, 82, 82, 81],
            .bnb: [80, 80, 75, 74, 77, 79, 80],
            .bnbPlus: [80, 80, 80, 80, 80, 80, 80],
            .random: [70, 60, 50, 40, 30, 30, 30],
        ])
        XCTAssertEqual(c.summary(.anb, 4).mean, 0.76, accuracy: 1e-9)
        let reading = c.reading.joined(separator: "\n")
        XCTAssertTrue(reading.contains("AnB first falls below baseB at n = 4"), reading)
        XCTAssertTrue(reading.contains("BnB dips in the middle layers (n = 4") && reading.contains("and recovers by n = 7"), reading)
        XCTAssertTrue(reading.contains("AnB+ stays at or above baseB at every n"), reading)
        XCTAssertTrue(reading.contains("Random frozen filters reach 30.00% at their worst (n = 5)"), reading)
        // Table 1 analogue: AnB+ - baseB over 1-7 is the mean of (82,82,83,83,82,82,81) - 80.
        XCTAssertEqual(c.boosts[0].overBaseB!, (575.0 / 7 - 80) / 100, accuracy: 1e-9)
        XCTAssertEqual(c.boosts[2].overBnBPlus!, (245.0 / 3 - 80) / 100, accuracy: 1e-9)
        XCTAssertTrue(c.table.contains("| 0 (baseB) | 80.00 ± 0.00"), c.table)
        XCTAssertEqual(c.csv.split(separator: "\n").count, 2 + 7 * 5)
        XCTAssertEqual(c.summary(.anb, 4).confidence95!, 3.182446305284263 * (4.0 / 3).squareRoot() / 2 / 100, accuracy: 1e-9)
    }

    func testSaysSoWhenAFindingDoesNotReproduce() {
        let flat = [Double](repeating: 80, count: 7)
        let c = curve(baseB: [80, 80, 80, 80], [.anb: flat, .anbPlus: [79, 79, 79, 79, 79, 79, 79], .bnb: flat, .bnbPlus: flat, .random: flat])
        let reading = c.reading.joined(separator: "\n")
        XCTAssertTrue(reading.contains("AnB never falls below baseB"), reading)
        XCTAssertTrue(reading.contains("BnB shows no dip"), reading)
        XCTAssertTrue(reading.contains("AnB+ falls below baseB at n = 1, 2, 3, 4, 5, 6, 7"), reading)
    }
}
