import XCTest
@testable import HarnessCore
@testable import HarnessSupport
@testable import HarnessData

final class ValidationSplitTests: XCTestCase {
    func testParsesCountsFractionsAndPercentages() {
        XCTAssertEqual(ValidationSplit("20"), .perClass(20))
        XCTAssertEqual(ValidationSplit("0.25"), .fraction(0.25))
        XCTAssertEqual(ValidationSplit("20%"), .fraction(0.2))
        XCTAssertEqual(ValidationSplit("0")?.isEmpty, true)
        XCTAssertNil(ValidationSplit("1.5"))
        XCTAssertNil(ValidationSplit("-3"))
        XCTAssertNil(ValidationSplit("half"))
    }

    func testValidationAndTrainingImagesAreDisjointStratifiedAndSeeded() {
        // 3 classes of 10, 7 and 1 images, interleaved.
        let labels = (0..<10).map { _ in 0 } + (0..<7).map { _ in 1 } + [2]
        let set = ImageSet(channels: 1, height: 1, width: 1, pixels: labels.indices.map(Float.init), labels: labels.shuffled(using: &rng))
        for split in [ValidationSplit.fraction(0.2), .perClass(3), .perClass(50)] {
            let (train, validation) = set.validationSplit(split, seed: 4)
            XCTAssertTrue(Set(train).isDisjoint(with: validation), "\(split)")
            XCTAssertEqual(Set(train).union(validation), Set(set.labels.indices), "every image is in one part")
            let held = Dictionary(grouping: validation, by: { set.labels[$0] }).mapValues(\.count)
            switch split {
            case .fraction: XCTAssertEqual(held, [0: 2, 1: 1], "a fifth, at least one; a class of one image keeps it for training")
            case .perClass(3): XCTAssertEqual(held, [0: 3, 1: 3])
            default: XCTAssertEqual(held, [0: 9, 1: 6], "never a whole class")
            }
            XCTAssertEqual(set.validationSplit(split, seed: 4).validation, validation, "seeded")
        }
        XCTAssertNotEqual(set.validationSplit(.perClass(3), seed: 4).validation, set.validationSplit(.perClass(3), seed: 5).validation)
    }

    var rng = SeededGenerator(seed: 1)
}
