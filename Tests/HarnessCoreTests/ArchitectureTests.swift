// The networks --network names, and spec files: sized for any input, checked layer by layer.
import XCTest
@testable import HarnessCore
@testable import HarnessMetrics
@testable import HarnessData
@testable import HarnessEngine

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

    /// Test accuracy of a named network trained on 40 Fashion-MNIST images per class.
    func accuracyFromAFewHundredImages(_ name: String, epochs: Int, batch: Int) throws -> Double {
        var d = try FashionFixture.load()
        d.train = d.train.stratified(perClass: 40, seed: 1)
        d.test = d.test.stratified(perClass: 30, seed: 1)
        d.normalizeWithTrainingStatistics()
        let net = try Network(spec: try NetworkChoice(name).spec(classes: 10, shape: InputShape(d.train)), seed: 1)
        _ = try Trainer.train(net, on: d.train, hyperparameters: .testing(epochs: epochs, batch: batch, lr: 0.05), seed: 1)
        return ClassificationMetrics(predictions: net.predict(d.test.pixels), labels: d.test.labels, classCount: 10).accuracy
    }

    func testLeNet5LearnsFashionMNISTFromAFewHundredImages() throws {
        XCTAssertGreaterThan(try accuracyFromAFewHundredImages("lenet-5", epochs: 10, batch: 16), 0.60,
                             "400 training images should give well above 10% chance")
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
            XCTAssertEqual("\($0)", "invalid network spec: network \(dir)/bad.json for a 1x28x28 input: conv1: kernel 40 with padding 1 does not fit the 28x28 input")
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
        // In a ResNet, the features are the pooled ones, and a block's name means its output.
        let resnet = try Network(spec: Architecture.resnet20.spec(classes: 5, shape: InputShape(channels: 1, height: 28, width: 28)), seed: 2)
        XCTAssertEqual(try resnet.layerIndex(Network.penultimate), resnet.layerNames.firstIndex(of: "avgpool"))
        XCTAssertEqual(try resnet.layerIndex("layer3.2"), resnet.layerNames.firstIndex(of: "layer3.2.relu2"))
        XCTAssertThrowsError(try resnet.layerIndex("layer4.0")) { XCTAssertTrue("\($0)".contains("layer3.2"), "names the blocks: \($0)") }
    }

    func testResidualSpecErrorsNameTheLayerAndTheShapes() {
        let shape = InputShape(channels: 1, height: 8, width: 8)
        func error(_ layers: [LayerSpec]) -> String {
            do { _ = try NetworkSpec(channels: shape.channels, height: shape.height, width: shape.width, layers: layers).validatedShapes() } catch {
                return "\(error)"
            }
            return "no error"
        }
        XCTAssertEqual(error([.conv("c1", 4, kernel: 3, padding: 1), .add("sum", shortcut: "stem"), .fc("fc", 2)]),
                       "invalid network spec: sum: its shortcut 'stem' is not an earlier layer (earlier layers: c1)")
        XCTAssertEqual(error([.conv("c1", 4, kernel: 3, padding: 1), .conv("c2", 8, kernel: 3, padding: 1, stride: 2), .add("sum", shortcut: "c1"), .fc("fc", 2)]),
                       "invalid network spec: sum: cannot add shortcut c1 of shape 4x8x8 to c2 of shape 8x4x4; "
                       + "a shortcut across a change of size needs a projection (a strided 1x1 convolution)")
        XCTAssertEqual(error([.conv("c1", 4, kernel: 3, padding: 1), .conv("c2", 4, kernel: 3, padding: 1).reading("later"), .fc("fc", 2)]),
                       "invalid network spec: c2: its input 'later' is not an earlier layer (earlier layers: c1)")
        var bn = LayerSpec.batchNorm("bn")
        bn.outputs = 128
        XCTAssertEqual(error([.fc("fc1", 256), bn, .fc("fc", 2)]),
                       "invalid network spec: bn: batch normalisation of 128 channels, but fc1 gives 256 (shape 256)")
        XCTAssertEqual(error([.fc("fc1", 16), .globalAvgPool("gap"), .fc("fc", 2)]),
                       "invalid network spec: gap: global average pooling needs an image input, not the 16-wide output of fc1 (a vector)")
    }

    func testAResidualNetworkTransfersByBlockWithItsRunningStatistics() throws {
        let shape = InputShape(channels: 1, height: 28, width: 28)
        let spec = Architecture.resnet20.spec(classes: 5, shape: shape)
        XCTAssertEqual(spec.units, ["conv1", "layer1.0", "layer1.1", "layer1.2", "layer2.0", "layer2.1", "layer2.2",
                                    "layer3.0", "layer3.1", "layer3.2", "fc"])
        let source = try Network(spec: spec, seed: 1), target = try Network(spec: spec.withClasses(3), seed: 2)
        // Statistics a trained source would have.
        for (i, b) in source.buffers.enumerated() { b.values = gaussian(b.count, seed: UInt64(i), sigma: 0.5).map { b.name.hasSuffix("var") ? 1 + abs($0) : $0 } }
        try target.copyLayers(["conv1", "layer2.0"], from: source)
        for name in ["bn1.running_var", "layer2.0.downsample.1.running_mean", "layer2.0.conv2.weight", "bn1.weight"] {
            let mine = try XCTUnwrap(target.state.first { $0.name == name }), theirs = try XCTUnwrap(source.state.first { $0.name == name })
            XCTAssertEqual(mine.values, theirs.values, "\(name) travels with its unit")
        }
        let untouched = try XCTUnwrap(target.state.first { $0.name == "layer1.0.bn1.running_var" })
        XCTAssertEqual(untouched.values, [Float](repeating: 1, count: untouched.count))
        try target.setLearningRateMultiplier(0, layers: ["layer2.0"])
        XCTAssertEqual(try target.parameters(of: "layer2.0").count, 9, "3 convolution weights (no biases), 3 batch normalisations' weight and bias")
        XCTAssertTrue(try target.parameters(of: "layer2.0").allSatisfy(\.isFrozen))
        XCTAssertFalse(try target.parameters(of: "layer2.1").contains(where: \.isFrozen))
        XCTAssertThrowsError(try target.copyLayers(["layer9.0"], from: source)) { XCTAssertTrue("\($0)".contains("layer3.2"), "\($0)") }
    }

    func testResNet20LearnsFashionMNISTFromAFewHundredImages() throws {
        // Inference normalises with the running statistics: a network that never folded its batch
        // statistics into them would classify with mean 0 / variance 1 and fall to chance.
        XCTAssertGreaterThan(try accuracyFromAFewHundredImages("resnet20", epochs: 8, batch: 32), 0.60,
                             "400 training images should give well above 10% chance")
    }
}
