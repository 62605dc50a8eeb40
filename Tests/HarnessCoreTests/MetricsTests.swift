import XCTest
@testable import HarnessCore
@testable import HarnessMetrics

final class MetricsTests: XCTestCase {
    func testConfusionAccuracyAndMacroF1() {
        let m = ClassificationMetrics(predictions: [0, 0, 1, 1, 2, 0], labels: [0, 1, 1, 1, 2, 2], classCount: 3)
        XCTAssertEqual(m.accuracy, 4.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(m.confusion, [[1, 0, 0], [1, 2, 0], [1, 0, 1]])
        XCTAssertEqual(m.perClassAccuracy, [1, 2.0 / 3.0, 0.5])
        // F1: class 0 p=1/3 r=1 -> 0.5; class 1 p=1 r=2/3 -> 0.8; class 2 p=1 r=1/2 -> 2/3
        XCTAssertEqual(m.macroF1, (0.5 + 0.8 + 2.0 / 3.0) / 3, accuracy: 1e-12)
    }

    func testSummaryUsesStudentT() {
        let s = Summary([0.90, 0.92, 0.94])
        XCTAssertEqual(s.mean, 0.92, accuracy: 1e-12)
        XCTAssertEqual(s.standardDeviation, 0.02, accuracy: 1e-12)
        XCTAssertEqual(s.confidence95!, 4.302652729911275 * 0.02 / 3.0.squareRoot(), accuracy: 1e-9)
        XCTAssertNil(Summary([0.5]).confidence95)
        // Two seeds: an interval of 12.7 standard deviations says nothing, so none is given.
        XCTAssertNil(Summary([0.5, 0.6]).confidence95)
    }

    func testPairedTestsNeedThreePairsAndVariance() {
        XCTAssertNil(PairedTTest([0.5, 0.6], [0.4, 0.5]).pValue, "two pairs")
        let same = PairedTTest([0.5, 0.6, 0.7], [0.4, 0.5, 0.6])
        XCTAssertNil(same.pValue, "identical differences once gave p = 0.000")
        XCTAssertTrue(same.identical)
        XCTAssertEqual(PairedTTest.holm([0.01, nil, 0.04, 0.03]), [0.03, nil, 0.06, 0.06])
    }

    /// Student's t quantiles, paired-test p-values and Holm's adjustment against scipy
    /// (python3-scipy, installed by scripts/bootstrap.sh --bench): no table, no jump to 1.96.
    func testStatisticsMatchScipy() throws {
        let a: [[Double]] = [[0.91, 0.93, 0.92, 0.95], [0.80, 0.85, 0.79, 0.90], [0.70, 0.72, 0.71, 0.69]]
        let base: [Double] = [0.88, 0.90, 0.91, 0.89]
        let script = """
            import json, scipy.stats as st
            a = \(a); base = \(base)
            t = [st.t.ppf(0.975, df) for df in range(1, 61)] + [st.t.ppf(0.975, 200)]
            p = [float(st.ttest_rel(x, base).pvalue) for x in a]
            order = sorted(range(len(p)), key=lambda i: p[i]); m = len(p); holm = [0.0] * m; run = 0.0
            for rank, i in enumerate(order):
                run = max(run, min(1.0, (m - rank) * p[i])); holm[i] = run
            print(json.dumps({"t": t, "p": p, "holm": holm}))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "python3-scipy: bash scripts/bootstrap.sh --bench installs it")
        struct Reference: Decodable { var t: [Double]; var p: [Double]; var holm: [Double] }
        let ref = try JSONDecoder().decode(Reference.self, from: data)
        for (i, expected) in ref.t.enumerated() {
            let df = i < 60 ? i + 1 : 200
            XCTAssertEqual(Summary.tCritical95(degreesOfFreedom: df), expected, accuracy: 1e-8 * expected, "df \(df)")
        }
        let tests = a.map { PairedTTest($0, base) }
        for (t, expected) in zip(tests, ref.p) { XCTAssertEqual(t.pValue!, expected, accuracy: 1e-9) }
        for (h, expected) in zip(PairedTTest.holm(tests.map(\.pValue)), ref.holm) { XCTAssertEqual(h!, expected, accuracy: 1e-9) }
    }
}
