// Training-image augmentation: torchvision's random resized crop and horizontal flip, parsed
// strictly, seeded per (run, epoch, image) so runs are bit-reproducible, and applied only to the
// trainer's batches.
import XCTest
@testable import HarnessEngine
@testable import HarnessSupport
@testable import HarnessData

final class AugmentationTests: XCTestCase {
    func testSettingsParseStrictly() {
        XCTAssertEqual(Augmentation("crop+flip")?.description, "crop+flip")
        XCTAssertEqual(Augmentation("flip + crop:0.5")?.description, "crop:0.5+flip")
        XCTAssertEqual(Augmentation("none")?.isNone, true)
        for bad in ["crop:2", "crop:0", "flip+flip", "rotate", "", "crop+"] { XCTAssertNil(Augmentation(bad), bad) }
        XCTAssertEqual(Hyperparameters.defaults.augmentation, .none)
        XCTAssertEqual(Hyperparameters.defaults.canonicalJSON, "{}", "the default adds nothing to any key")
        XCTAssertFalse(Hyperparameter.augment.accepts(.string("sometimes")))
        XCTAssertTrue(Hyperparameter.augment.accepts(.string("crop:0.35+flip")))
    }

    func image(_ h: Int, _ w: Int) -> [Float] { (0..<(2 * h * w)).map { Float($0 % 97) / 97 } }

    func augmented(_ a: Augmentation, _ pixels: [Float], h: Int, w: Int, stream: String) -> [Float] {
        var g = SeededGenerator(seed: 5, stream: stream)
        var out = [Float](repeating: .nan, count: pixels.count)
        pixels.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { a.apply(p.baseAddress!, into: $0.baseAddress!, channels: 2, height: h, width: w, using: &g) } }
        return out
    }

    func testTheSameSeedGivesTheSameCropsAndFlips() {
        let a = Augmentation("crop:0.3+flip")!, px = image(12, 16)
        let first = augmented(a, px, h: 12, w: 16, stream: "augment/1/3")
        XCTAssertEqual(first, augmented(a, px, h: 12, w: 16, stream: "augment/1/3"))
        XCTAssertFalse(first.contains { $0.isNaN }, "every output pixel written")
        let others = (2...6).map { augmented(a, px, h: 12, w: 16, stream: "augment/\($0)/3") }
        XCTAssertTrue(others.contains { $0 != first }, "another epoch draws another crop")
    }

    func testAFlipMirrorsAndACropOfAConstantImageStaysConstant() {
        let px = image(4, 6)
        // Over enough draws, a flip happens and mirrors each row exactly.
        let flips = (0..<16).map { augmented(Augmentation("flip")!, px, h: 4, w: 6, stream: "f\($0)") }
        var mirrored: [Float] = []
        for row in 0..<(2 * 4) {
            let slice: ArraySlice<Float> = px[(row * 6)..<((row + 1) * 6)]
            mirrored += slice.reversed()
        }
        XCTAssertTrue(flips.contains(mirrored) && flips.contains(px))
        let flat = [Float](repeating: 0.25, count: 2 * 20 * 20)
        XCTAssertTrue(augmented(Augmentation("crop")!, flat, h: 20, w: 20, stream: "c").allSatisfy { abs($0 - 0.25) < 1e-6 })
    }

    func testTrainingWithAugmentationIsBitReproducibleAndDiffersFromWithout() throws {
        let spec = NetworkSpec(channels: 1, height: 8, width: 8, layers: [.conv("c", 4, kernel: 3, padding: 1), .relu("r"), .fc("fc", 3)])
        let data = ImageSet(channels: 1, height: 8, width: 8, pixels: (0..<(24 * 64)).map { Float(($0 * 37) % 101) / 101 },
                            labels: (0..<24).map { $0 % 3 })
        func trained(_ augment: String) throws -> [[Float]] {
            let net = try Network(spec: spec, seed: 1)
            _ = try Trainer.train(net, on: data, hyperparameters: Hyperparameters.testing(epochs: 2, batch: 8, lr: 0.05).with(.augment, .string(augment)), seed: 3)
            return net.parameters.map(\.values)
        }
        XCTAssertEqual(try trained("crop+flip"), try trained("crop+flip"))
        XCTAssertNotEqual(try trained("crop+flip"), try trained("none"))
    }
}
