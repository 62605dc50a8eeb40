// The networks --network names, and spec files: sized for any input, checked layer by layer.
import XCTest
@testable import HarnessCore

final class ArchitectureTests: XCTestCase {
    func testEveryShippedNetworkFitsGrayAndColourInputs() throws {
        for a in Architecture.allCases {
            for shape in [InputShape(channels: 1, height: 28, width: 28), InputShape(channels: 3, height: 32, width: 32)] {
                let spec = try NetworkChoice.named(a).spec(classes: 7, shape: shape)
                XCTAssertEqual(spec.classes, 7, "\(a)")
                XCTAssertEqual(try spec.validatedShapes().last, [7], "\(a) at \(shape)")
            }
        }
        XCTAssertEqual(try NetworkChoice("standard").spec(classes: 5, shape: InputShape(channels: 1, height: 28, width: 28)), .standard(classes: 5),
                       "the default is the network every earlier result used")
    }

    func testLeNet5LearnsFashionMNISTFromAFewHundredImages() throws {
        var d = try FashionFixture.load()
        d.train = d.train.stratified(perClass: 40, seed: 1)
        d.test = d.test.stratified(perClass: 30, seed: 1)
        d.normalizeWithTrainingStatistics()
        let net = try Network(spec: try NetworkChoice("lenet-5").spec(classes: 10, shape: InputShape(d.train)), seed: 1)
        _ = try Trainer.train(net, on: d.train, settings: TrainingSettings(
            epochs: 10, batchSize: 16, optimizer: OptimizerSettings(learningRate: 0.05), schedule: .oneCycle, seed: 1))
        let m = ClassificationMetrics(predictions: net.predict(d.test.pixels), labels: d.test.labels, classCount: 10)
        XCTAssertGreaterThan(m.accuracy, 0.60, "400 training images should give well above 10% chance")
    }

    func testASpecFileTakesTheDatasShapeAndItsErrorsNameTheLayer() throws {
        let dir = try temporaryDirectory(self)
        let good = Architecture.vggSmall.spec(classes: 3, shape: InputShape(channels: 1, height: 28, width: 28))
        try JSONEncoder().encode(good).write(to: URL(fileURLWithPath: dir + "/net.json"))
        let colour = try NetworkChoice(dir + "/net.json").spec(classes: 10, shape: InputShape(channels: 3, height: 32, width: 32))
        XCTAssertEqual(colour, Architecture.vggSmall.spec(classes: 10, shape: InputShape(channels: 3, height: 32, width: 32)))

        var bad = good
        bad.layers[0].kernel = 40
        try JSONEncoder().encode(bad).write(to: URL(fileURLWithPath: dir + "/bad.json"))
        XCTAssertThrowsError(try NetworkChoice(dir + "/bad.json").spec(classes: 10, shape: InputShape(channels: 1, height: 28, width: 28))) {
            XCTAssertEqual("\($0)", "invalid network spec: network \(dir)/bad.json for a 1x28x28 input: conv1: kernel 40 with padding 1 does not fit a 28x28 input")
        }
        XCTAssertThrowsError(try NetworkChoice("resnet-9000")) { XCTAssertTrue("\($0)".contains("known: standard, lenet-5, vgg-small")) }
        XCTAssertThrowsError(try NetworkChoice(dir + "/missing.json").spec(classes: 2, shape: InputShape(channels: 1, height: 28, width: 28))) {
            XCTAssertTrue("\($0)".contains("cannot read the network spec"))
        }
    }

    func testPenultimateNamesTheFeaturesTheClassifierReadsInEveryNetwork() throws {
        let images = (0..<(4 * 784)).map { Float($0 % 17) / 17 }
        let standard = try Network(spec: .standard(classes: 5), seed: 2)
        XCTAssertEqual(try standard.features(at: Network.penultimate, for: images), try standard.features(at: "relu7", for: images),
                       "relu7, not drop7, in the default network")
        let lenet = try Network(spec: Architecture.lenet5.spec(classes: 5, shape: InputShape(channels: 1, height: 28, width: 28)), seed: 2)
        XCTAssertEqual(try lenet.features(at: Network.penultimate, for: images).count, 4 * 84)
        XCTAssertThrowsError(try lenet.features(at: "relu7", for: images)) { XCTAssertTrue("\($0)".contains("penultimate"), "\($0)") }
    }
}
