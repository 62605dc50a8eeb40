// The benchmark's own machinery: FLOP counts, the GEMM yardstick, paired ratios, the profile,
// the process-tree memory probe and the target verdicts. No timing is asserted anywhere: speed
// is measured by `harness bench`, not judged by the tests.
import Foundation
import XCTest
@testable import HarnessCore
@testable import HarnessEngine
@testable import HarnessBenchmark
@testable import HarnessReport

final class BenchmarkTests: XCTestCase {
    func testForwardFLOPsOfTheDefaultNetworkMatchAHandCount() throws {
        // 2 x outputs x (inputs per output) for each learnable layer of the 28x28 default spec.
        let expected: [(String, Double)] = [
            ("conv1", 2 * 32 * 28 * 28 * 1 * 25), ("conv2", 2 * 64 * 14 * 14 * 32 * 25),
            ("conv3", 2 * 96 * 7 * 7 * 64 * 9), ("conv4", 2 * 96 * 7 * 7 * 96 * 9), ("conv5", 2 * 64 * 7 * 7 * 96 * 9),
            ("fc6", 2 * 576 * 256), ("fc7", 2 * 256 * 256), ("fc8", 2 * 256 * 10),
        ]
        let spec = NetworkSpec.standard(classes: 10)
        let counted = try spec.forwardFLOPs()
        XCTAssertEqual(counted.map(\.layer), expected.map(\.0))
        XCTAssertEqual(counted.map(\.flops), expected.map(\.1))
        XCTAssertEqual(try spec.forwardFLOPsPerImage(), 40_722_432)
    }

    func testGEMMYardstickMultipliesCorrectly() {
        let (m, n, k) = (3, 4, 5)
        let a = (0..<(m * k)).map { Float($0 % 7) - 3 }, b = (0..<(k * n)).map { Float($0 % 5) - 2 }
        var c = [Float](repeating: -99, count: m * n)
        dnnlMatrixMultiply(a, b, &c, m: m, n: n, k: k)
        for i in 0..<m {
            for j in 0..<n {
                let expected = (0..<k).reduce(Float(0)) { $0 + a[i * k + $1] * b[$1 * n + j] }
                XCTAssertEqual(c[i * n + j], expected, "C[\(i),\(j)]")
            }
        }
        XCTAssertGreaterThan(GEMMPeak.measure(sizes: [128], repeats: 1), 0)
    }

    func testPairedRatiosAreMediansOfPairs() {
        let fast = RepeatedMeasurement([100, 200, 90, 120, 110]), slow = RepeatedMeasurement([50, 100, 90, 60, 55])
        // Pairwise 2, 2, 1, 2, 2: the one disturbed pair does not move the median.
        XCTAssertEqual(fast.pairedRatio(to: slow), 2)
        XCTAssertEqual(fast.median, 110)
        XCTAssertEqual(RepeatedMeasurement([4, 1, 3, 2]).median, 2.5)
        XCTAssertEqual(fast.minimum, 90)
        XCTAssertEqual(fast.maximum, 200)
    }

    func testProfileAccumulatesPerStageAndPhaseInOrder() {
        let p = StepProfile()
        p.add("conv1", .forward, 0.5)
        p.add("conv1", .backwardWeights, 0.25)
        p.add("conv1", .forward, 0.5)
        p.add("optimizer", .step, 0.125)
        XCTAssertEqual(p.entries.map(\.stage), ["conv1", "conv1", "optimizer"])
        XCTAssertEqual(p.seconds("conv1", .forward), 1)
        XCTAssertEqual(p.entries[0].calls, 2)
        XCTAssertEqual(p.totalSeconds, 1.375)
        XCTAssertEqual(p.seconds("conv2", .forward), 0)
    }

    func testProfiledTrainingTimesEveryLayerAndPhaseThatRuns() throws {
        let data = try FashionFixture.load().train.subset(Array(0..<(4 * 16)))
        let network = try Network(spec: .standard(classes: 10), seed: 1)
        try network.setLearningRateMultiplier(0, layers: ["conv1", "conv2"])
        let profile = StepProfile()
        let run = try EngineBenchmark.training(network, on: data, batch: 16, steps: 3, warmup: 1, profile: profile)
        XCTAssertEqual(run.images, 48)
        for layer in network.layerNames { XCTAssertGreaterThan(profile.seconds(layer, .forward), 0, layer) }
        // Frozen conv1 and conv2: no weight gradients there, and nothing propagates below conv3.
        XCTAssertEqual(profile.seconds("conv1", .backwardWeights), 0)
        XCTAssertEqual(profile.seconds("conv2", .backwardWeights), 0)
        XCTAssertEqual(profile.seconds("pool2", .backwardData), 0)
        XCTAssertEqual(profile.seconds("conv3", .backwardData), 0)
        XCTAssertGreaterThan(profile.seconds("conv3", .backwardWeights), 0)
        XCTAssertGreaterThan(profile.seconds("relu3", .backwardData), 0)
        XCTAssertGreaterThan(profile.seconds("optimizer", .step), 0)
        XCTAssertEqual(profile.entries.first { $0.stage == "conv3" && $0.phase == .forward }?.calls, 3)
        let kernels = network.kernelImplementations
        XCTAssertTrue(kernels.contains { $0.layer == "conv2" && $0.phase == .backwardWeights && !$0.implementation.isEmpty && $0.implementation != "?" })
    }

    func testInferenceRebuildsKernelsForItsBatch() throws {
        let data = try FashionFixture.load().test.subset(Array(0..<96))
        let network = try Network(spec: .standard(classes: 10), seed: 1)
        network.prepare(batch: 16)
        let run = EngineBenchmark.inference(network, on: data, batch: 32, steps: 2, warmup: 1)
        XCTAssertEqual(run.images, 64)
        XCTAssertEqual(network.batchSize, 32)
    }

    func testPeakMemoryCountsTheWholeProcessTree() throws {
        // A shell whose child holds 300 MB: the probe must see the grandchild of the test.
        let log = URL(fileURLWithPath: try temporaryDirectory(self) + "/log")
        let run = try MeasuredProcess.run("/bin/sh", ["-c", "/usr/bin/python3 -c 'x = bytearray(300_000_000); import time; time.sleep(1.5); print(len(x))'"], log: log)
        XCTAssertEqual(run.status, 0, run.log)
        XCTAssertEqual(run.output.trimmingCharacters(in: .whitespacesAndNewlines), "300000000")
        XCTAssertGreaterThan(run.peakResidentBytes, 300_000_000)
        XCTAssertLessThan(run.peakResidentBytes, 1_000_000_000)
    }

    func testTargetsSayMetOrMissedAndByHowMuch() {
        var result = BenchResult(threads: 2, cores: 2, onednn: "2.6.3", forwardGFLOPPerImage: 0.04)
        result.gemmPeakGFLOPS = 150
        // 1000 images/s x 0.12 GFLOP = 120 GFLOP/s = 80% of the peak.
        result.cases = [CaseResult(name: "train batch 64", training: true, batch: 64, harness: RepeatedMeasurement([1000, 1000]),
                                   torchNCHW: RepeatedMeasurement([800, 500]), torchChannelsLast: RepeatedMeasurement([1000, 800]),
                                   gemmPeaks: RepeatedMeasurement([150, 150]))]
        var race = ComparisonRace(protocolArguments: "")
        race.harnessSeconds = [100]
        race.torchSeconds = [150]
        race.harnessPeakBytes = 2 << 30
        result.comparison = race
        let targets = BenchReport(result).targets
        func target(_ prefix: String) -> BenchReport.Target? { targets.first { $0.what.contains(prefix) } }
        XCTAssertEqual(target("torch NCHW")?.measured ?? 0, 1.625, accuracy: 1e-9)  // median of 1.25 and 2
        XCTAssertEqual(target("torch NCHW")?.met, true)
        XCTAssertEqual(target("channels_last")?.measured ?? 0, 1.125, accuracy: 1e-9)
        XCTAssertEqual(target("GEMM peak")?.measured ?? 0, 80, accuracy: 1e-9)
        XCTAssertEqual(target("PyTorch time")?.met, false)
        XCTAssertEqual(target("peak memory")?.met, false)
        let text = BenchReport(result).text
        XCTAssertTrue(text.contains("missed by 25%"), text)  // 1.5x of a 2x goal
        XCTAssertTrue(text.contains("missed by 100%"), text)  // 2 GiB of a 1 GiB limit
    }

    func testBackboneRaceReportsPairedRatiosAndBothPeaks() {
        var result = BenchResult(threads: 2, cores: 2, onednn: "2.6.3", forwardGFLOPPerImage: 0.04)
        result.backbones = [BackboneCase(network: "resnet18", size: 224, batch: 32, training: true, harness: RepeatedMeasurement([30, 20]),
                                         torch: RepeatedMeasurement([20, 25]), harnessPeakBytes: 3 << 30, torchPeakBytes: 3 << 29)]
        let target = BenchReport(result).targets.first { $0.what == "resnet18 train 224px batch 32: harness / PyTorch" }
        XCTAssertEqual(target?.measured ?? 0, 1.15, accuracy: 1e-9)  // median of 1.5 and 0.8
        XCTAssertEqual(target?.met, true)
        let text = BenchReport(result).text
        XCTAssertTrue(text.contains("3.00 GiB") && text.contains("1.50 GiB"), text)
        XCTAssertTrue(text.contains("25.0 [20.0-30.0]"), text)
    }

    /// The engine's side of the backbone race measures the zoo network it is given, at the size given.
    func testBackboneRaceEngineSideTrainsAndInfersTheZooNetwork() throws {
        let trained = try BackboneRace.engineSide(network: .efficientnetLite0, size: 32, batch: 2, steps: 1, warmup: 0, training: true)
        XCTAssertEqual(trained.images, 2)
        XCTAssertGreaterThan(trained.seconds, 0)
        let inferred = try BackboneRace.engineSide(network: .resnet18, size: 32, batch: 2, steps: 2, warmup: 1, training: false)
        XCTAssertEqual(inferred.images, 4)
    }
}
