// bf16: convolutions and matrix products on bfloat16 copies where the processor computes them
// natively, fp32 everywhere else; refused where it does not; part of every cell's key.
import XCTest
@testable import HarnessCore
@testable import HarnessCompare
@testable import HarnessData
@testable import HarnessEngine

final class PrecisionTests: XCTestCase {
    override func tearDown() { try? Precision.fp32.apply() }

    func testBF16TrainsCloseToFP32OnBF16KernelsWhereTheProcessorHasThem() throws {
        try XCTSkipUnless(Precision.nativeBF16, "this processor has no native bf16 (the refusal is tested in PrecisionRefusalTests)")
        let data = ImageSet(channels: 1, height: 28, width: 28, pixels: gaussian(64 * 784, seed: 3), labels: (0..<64).map { $0 % 4 })
        let eval = ImageSet(channels: 1, height: 28, width: 28, pixels: gaussian(16 * 784, seed: 4), labels: [Int](repeating: 0, count: 16))
        // The same weights evaluated both ways: bf16 rounds the products' inputs only.
        let net = try Network(spec: .standard(classes: 4), seed: 2)
        let fp32Loss = try Trainer.train(net, on: data, hyperparameters: .testing(epochs: 3, batch: 16), seed: 1).epochs.last!.loss
        let a = net.logits(for: eval)
        try Precision.bf16.apply()
        let b = net.logits(for: eval)
        XCTAssertTrue(net.kernelImplementations.filter { $0.layer == "conv2" }.allSatisfy { $0.implementation.contains("bf16") }, "\(net.kernelImplementations)")
        XCTAssertNotEqual(a, b, "bf16 products round differently")
        let scale = a.map(abs).max()!, worst = zip(a, b).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 0.05 * scale, "8 bits of mantissa in the products, fp32 sums: outputs within a few percent")
        try Precision.fp32.apply()
        XCTAssertEqual(net.logits(for: eval), a, "back in fp32, the fp32 numbers exactly")

        // Training in bf16 from the same start learns as fp32 does.
        let twin = try Network(spec: .standard(classes: 4), seed: 2)
        let bf16Loss = try Trainer.train(twin, on: data, hyperparameters: Hyperparameters.testing(epochs: 3, batch: 16).with(.precision, .string("bf16")), seed: 1).epochs.last!.loss
        XCTAssertEqual(bf16Loss, fp32Loss, accuracy: 0.1 * fp32Loss, "final training loss")
        XCTAssertTrue(twin.kernelImplementations.contains { $0.implementation.contains("bf16") })
    }

    func testThePrecisionIsPartOfTheCellKeyAndTheCaption() throws {
        var training = Hyperparameters.comparisonDefaults
        let fp32 = training.canonicalJSON
        training.precision = .bf16
        XCTAssertNotEqual(training.canonicalJSON, fp32)
        XCTAssertTrue(training.canonicalJSON.contains(#""precision":"bf16""#))
        XCTAssertFalse(fp32.contains("precision"), "fp32 is the default: older keys stay as they were")
        XCTAssertThrowsError(try Hyperparameters(from: JSONDecoder(), json: #"{"precision":"fp16"}"#))

        // A cell trained in bf16 is another cell, and its leaderboard says so.
        var cell = storedCell("freeze3", seed: 1, accuracy: 0.9).cell
        let key = cell.key
        cell.training.precision = .bf16
        XCTAssertNotEqual(cell.key, key)
        var stored = storedCell("freeze3", seed: 1, accuracy: 0.9)
        stored.cell.setting.training.precision = .bf16
        XCTAssertTrue(Leaderboard(cells: [stored]).caption.contains(", bf16"), Leaderboard(cells: [stored]).caption)
        XCTAssertTrue(Leaderboard(cells: [storedCell("freeze3", seed: 1, accuracy: 0.9)]).caption.contains(", fp32"))
    }
}

private extension Hyperparameters {
    init(from decoder: JSONDecoder, json: String) throws { self = try decoder.decode(Hyperparameters.self, from: Data(json.utf8)) }
}
