import XCTest
@testable import HarnessCore
@testable import HarnessData

final class DatasetTests: XCTestCase {
    func testFashionMNISTFromTheDebianPackage() throws {
        let d = try FashionFixture.load()
        XCTAssertEqual(d.train.count, 60_000)
        XCTAssertEqual(d.test.count, 10_000)
        XCTAssertEqual([d.train.channels, d.train.height, d.train.width], [1, 28, 28])
        XCTAssertEqual(d.classNames.first, "T-shirt/top")
        XCTAssertEqual(d.classNames.last, "Ankle boot")
        XCTAssertEqual(Set(d.train.labels), Set(0..<10))
        XCTAssertEqual(d.train.pixels.max(), 1)
    }

    func testMissingDatasetSaysWhichPackageToInstall() {
        XCTAssertThrowsError(try FashionMNIST.load(directory: "/nonexistent")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("apt-get install dataset-fashion-mnist"), text)
            XCTAssertTrue(text.contains("--data"), text)
        }
    }

    func testAnyIDXFolderLoads() throws {
        let dir = try temporaryDirectory(self)
        try write(idxBytes([6, 4, 4]), to: dir + "/emnist-letters-train-images-idx3-ubyte")
        try write(idxBytes([6], payload: [0, 1, 2, 0, 1, 2]), to: dir + "/emnist-letters-train-labels-idx1-ubyte")
        try write(idxBytes([3, 4, 4]), to: dir + "/emnist-letters-test-images-idx3-ubyte")
        try write(idxBytes([3], payload: [2, 1, 0]), to: dir + "/emnist-letters-test-labels-idx1-ubyte")
        let d = try DataSource.directory(dir).load()
        XCTAssertEqual(d.classCount, 3)
        XCTAssertEqual(d.train.count, 6)
        XCTAssertEqual(d.test.labels, [2, 1, 0])
        XCTAssertEqual(d.train.height, 4)
    }

    /// A 10-class IDX set with one label byte changed, as a damaged download would have it.
    func damagedIDX(trainLabels: [UInt8], testLabels: [UInt8]) throws -> String {
        let dir = try temporaryDirectory(self)
        try write(idxBytes([trainLabels.count, 2, 2]), to: dir + "/train-images-idx3-ubyte")
        try write(idxBytes([trainLabels.count], payload: trainLabels), to: dir + "/train-labels-idx1-ubyte")
        try write(idxBytes([testLabels.count, 2, 2]), to: dir + "/t10k-images-idx3-ubyte")
        try write(idxBytes([testLabels.count], payload: testLabels), to: dir + "/t10k-labels-idx1-ubyte")
        return dir
    }

    func testALabelOutsideTheClassesIsNamedWithItsFileAndIndex() throws {
        let tenClasses = (0..<30).map { UInt8($0 % 10) }
        var damaged = tenClasses
        damaged[17] = 200
        // Without class names the classes would be 0-200: the gap 10-199 gives the label away.
        let dir = try damagedIDX(trainLabels: damaged, testLabels: Array(tenClasses.prefix(10)))
        XCTAssertThrowsError(try DataSource.directory(dir).load()) {
            XCTAssertEqual("\($0)", "\(dir)/train-labels-idx1-ubyte: label 200 of image 17 is not a class: no training image has label 10-199, "
                           + "so classes would be missing; labels must number the classes 0 to K-1 without gaps. help: repair or regenerate the label file")
        }
        // A test label no training image has.
        var test = Array(tenClasses.prefix(10))
        test[4] = 10
        let other = try damagedIDX(trainLabels: tenClasses, testLabels: test)
        XCTAssertThrowsError(try DataSource.directory(other).load()) {
            XCTAssertTrue("\($0)".hasPrefix("\(other)/t10k-labels-idx1-ubyte: label 10 of image 4 is not a class"), "\($0)")
        }
        // With known class names (Fashion-MNIST's ten), any label from 10 up is named at once.
        XCTAssertThrowsError(try IDXDataset.load(directory: dir, classNames: FashionMNIST.classNames)) {
            XCTAssertTrue("\($0)".contains("label 200 of image 17 is not a class: this data set has 10 classes, labelled 0 to 9"), "\($0)")
        }
        XCTAssertEqual(IDXDataset.ranges([1, 3, 4, 5, 9]), "1, 3-5, 9")
    }

    func testMismatchedImageAndLabelCountsAreNamed() throws {
        let dir = try temporaryDirectory(self)
        try write(idxBytes([6, 4, 4]), to: dir + "/train-images-idx3-ubyte")
        try write(idxBytes([5]), to: dir + "/train-labels-idx1-ubyte")
        XCTAssertThrowsError(try IDXDataset.loadPair(images: dir + "/train-images-idx3-ubyte", labels: dir + "/train-labels-idx1-ubyte")) {
            XCTAssertTrue("\($0)".contains("has 6 images but"), "\($0)")
        }
    }

    func testRandomSplitIsDisjointSeededAndCoversAllClasses() {
        let s1 = ClassSplit.random(classCount: 10, seed: 1)
        XCTAssertEqual(s1.a.count, 5)
        XCTAssertEqual(Set(s1.a).intersection(s1.b), [])
        XCTAssertEqual(Set(s1.a + s1.b), Set(0..<10))
        XCTAssertEqual(s1, ClassSplit.random(classCount: 10, seed: 1))
        let others = (2...6).map { ClassSplit.random(classCount: 10, seed: $0).a }
        XCTAssertTrue(others.contains { $0 != s1.a }, "different seeds give different splits")
    }

    func testRestrictionRelabelsInListedOrder() {
        let set = ImageSet(channels: 1, height: 1, width: 1, pixels: [0, 1, 2, 3, 4, 5], labels: [0, 1, 2, 3, 2, 1])
        let d = Dataset(name: "t", classNames: ["a", "b", "c", "d"], train: set, test: set).restricted(to: [3, 1])
        XCTAssertEqual(d.classNames, ["d", "b"])
        XCTAssertEqual(d.train.labels, [1, 0, 1])
        XCTAssertEqual(d.train.pixels, [1, 3, 5])
    }

    func testClassSelectionParsing() throws {
        XCTAssertEqual(try ClassSelection("all"), .all)
        XCTAssertEqual(try ClassSelection("B"), .b)
        XCTAssertEqual(try ClassSelection("0,3,7"), .explicit([0, 3, 7]))
        XCTAssertThrowsError(try ClassSelection("0,x"))
        XCTAssertThrowsError(try ClassSelection("1,1"))
        let d = Dataset(name: "t", classNames: ["a", "b"], train: .init(channels: 1, height: 1, width: 1, pixels: [], labels: []),
                        test: .init(channels: 1, height: 1, width: 1, pixels: [], labels: []))
        XCTAssertThrowsError(try ClassSelection("0,5").classes(in: d, split: .random(classCount: 2, seed: 1))) {
            XCTAssertTrue("\($0)".contains("class 5 does not exist"))
        }
    }

    func testStratifiedSubsampleTakesKPerClassDeterministically() {
        let labels = (0..<300).map { $0 % 3 }
        let set = ImageSet(channels: 1, height: 1, width: 1, pixels: labels.indices.map(Float.init), labels: labels)
        let s = set.stratified(perClass: 7, seed: 4)
        XCTAssertEqual(s.count, 21)
        XCTAssertEqual(Dictionary(grouping: s.labels, by: { $0 }).mapValues(\.count), [0: 7, 1: 7, 2: 7])
        XCTAssertEqual(s.pixels, set.stratified(perClass: 7, seed: 4).pixels)
        XCTAssertNotEqual(s.pixels, set.stratified(perClass: 7, seed: 5).pixels)
    }

    func testNormalisationUsesTrainingStatisticsOnly() {
        let train = ImageSet(channels: 1, height: 1, width: 2, pixels: [1, 3, 1, 3], labels: [0, 1])
        let test = ImageSet(channels: 1, height: 1, width: 2, pixels: [100, 100], labels: [0])
        var d = Dataset(name: "t", classNames: ["a", "b"], train: train, test: test)
        let stats = d.normalizeWithTrainingStatistics()
        XCTAssertEqual(stats.mean, [2])
        XCTAssertEqual(stats.std, [1])
        XCTAssertEqual(d.train.pixels, [-1, 1, -1, 1])
        XCTAssertEqual(d.test.pixels, [98, 98])
    }
}

final class DatasetKeepingTests: XCTestCase {
    func testLoadingOnlySomeClassesGivesTheSameImagesAsFilteringAfterwards() throws {
        let full = try FashionFixture.load()
        let kept = try DataSource.fashionMNIST(directory: nil).load(keeping: [3, 7])
        XCTAssertEqual(kept.classNames, full.classNames)
        let expected = full.restricted(to: [3, 7]), got = kept.restricted(to: [3, 7])
        XCTAssertEqual(got.train.count, 12_000)
        XCTAssertEqual(got.test.labels, expected.test.labels)
        XCTAssertEqual(got.train.labels, expected.train.labels)
        XCTAssertTrue(got.train.pixels == expected.train.pixels, "same pixels in the same order")
        XCTAssertTrue(got.test.pixels == expected.test.pixels)
    }
}
