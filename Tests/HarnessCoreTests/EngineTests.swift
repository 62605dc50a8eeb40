import Foundation
import XCTest
@testable import HarnessCore
@testable import HarnessMetrics
@testable import HarnessData
@testable import HarnessEngine

final class EngineTests: XCTestCase {
    func testConvolutionMatchesReference() throws {
        // 16 output channels: oneDNN works in a blocked layout; the comparison is in plain layout.
        let (n, c, h, w, o, k) = (2, 3, 9, 9, 16, 3)
        for (stride, padding) in [(1, 1), (2, 0)] {
            let spec = NetworkSpec(channels: c, height: h, width: w, layers: [.conv("conv", o, kernel: k, padding: padding, stride: stride), .fc("fc", 2)])
            let net = try Network(spec: spec, seed: 1)
            let conv = try net.parameters(of: "conv")
            conv[1].values = gaussian(o, seed: 9)
            let x = gaussian(n * c * h * w, seed: 8)
            let got = try net.features(at: "conv", for: x, batch: n)
            let want = referenceConvolution(x, n: n, c: c, h: h, w: w, weight: conv[0].values, bias: conv[1].values,
                                            outChannels: o, kernel: k, stride: stride, padding: padding)
            XCTAssertEqual(got.count, want.count)
            for (a, b) in zip(got, want) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        }
    }

    func testGroupedAndDepthwiseConvolutionsMatchTheReference() throws {
        let (n, c, h, w, k) = (2, 8, 7, 7, 3)
        for (o, groups, stride) in [(16, 2, 1), (8, 8, 2), (16, 8, 1)] {  // grouped, depthwise (MobileNet's), depthwise with a multiplier
            let spec = NetworkSpec(channels: c, height: h, width: w, layers: [.conv("conv", o, kernel: k, padding: 1, stride: stride, groups: groups), .fc("fc", 2)])
            let net = try Network(spec: spec, seed: 1)
            let conv = try net.parameters(of: "conv")
            XCTAssertEqual(conv[0].shape, [o, c / groups, k, k], "PyTorch's weight shape")
            conv[1].values = gaussian(o, seed: 9)
            let x = gaussian(n * c * h * w, seed: 8)
            let got = try net.features(at: "conv", for: x, batch: n)
            let want = referenceConvolution(x, n: n, c: c, h: h, w: w, weight: conv[0].values, bias: conv[1].values,
                                            outChannels: o, kernel: k, stride: stride, padding: 1, groups: groups)
            XCTAssertEqual(got.count, want.count)
            for (a, b) in zip(got, want) { XCTAssertEqual(a, b, accuracy: 1e-4, "groups \(groups)") }
        }
        let bad = NetworkSpec(channels: 6, height: 4, width: 4, layers: [.conv("dw", 8, kernel: 3, padding: 1, groups: 4), .fc("fc", 2)])
        XCTAssertThrowsError(try Network(spec: bad, seed: 1)) {
            XCTAssertEqual("\($0)", "invalid network spec: dw: 4 groups must divide both its 6 input channels and its 8 outputs")
        }
    }

    func testTensorFlowSamePaddingPutsTheOddPixelAtTheBottomAndRight() throws {
        let (n, c, o) = (2, 2, 3)
        for (size, k, stride) in [(6, 3, 2), (7, 5, 2), (6, 3, 1)] {
            let spec = NetworkSpec(channels: c, height: size, width: size, layers: [.convSame("conv", o, kernel: k, stride: stride), .fc("fc", 2)])
            let out = (size + stride - 1) / stride
            XCTAssertEqual(try spec.validatedShapes()[0], [o, out, out])
            let net = try Network(spec: spec, seed: 1)
            let conv = try net.parameters(of: "conv")
            let x = gaussian(n * c * size * size, seed: 8)
            // The reference: zero-pad by hand as TensorFlow does, then convolve without padding.
            let total = max((out - 1) * stride + k - size, 0), top = total / 2, padded = size + total
            var xp = [Float](repeating: 0, count: n * c * padded * padded)
            for i in 0..<(n * c) { for y in 0..<size { for xx in 0..<size {
                xp[(i * padded + y + top) * padded + xx + top] = x[(i * size + y) * size + xx]
            } } }
            let want = referenceConvolution(xp, n: n, c: c, h: padded, w: padded, weight: conv[0].values, bias: conv[1].values,
                                            outChannels: o, kernel: k, stride: stride, padding: 0)
            let got = try net.features(at: "conv", for: x, batch: n)
            XCTAssertEqual(got.count, want.count)
            for (a, b) in zip(got, want) { XCTAssertEqual(a, b, accuracy: 1e-4, "size \(size) kernel \(k) stride \(stride)") }
        }
    }

    func testSpecValidationNamesTheLayer() {
        let tooBig = NetworkSpec(channels: 1, height: 4, width: 4, layers: [.conv("big", 2, kernel: 7, padding: 0), .fc("fc", 2)])
        XCTAssertThrowsError(try Network(spec: tooBig, seed: 1)) { XCTAssertTrue("\($0)".contains("big: kernel 7"), "\($0)") }
        let noClassifier = NetworkSpec(channels: 1, height: 4, width: 4, layers: [.relu("r")])
        XCTAssertThrowsError(try Network(spec: noClassifier, seed: 1))
        XCTAssertEqual(try NetworkSpec.standard(classes: 10).validatedShapes()[12], [64, 3, 3])  // pool5: 576 features
        XCTAssertEqual(NetworkSpec.standard(classes: 10).units,
                       ["conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"])
    }

    func testInitialisersHaveTheirScale() throws {
        let net = try Network(spec: .standard(classes: 10), seed: 2, initializer: .he)
        let w = try net.parameters(of: "conv3")[0].values  // fan-in 64*9
        let std = (w.reduce(0) { $0 + Double($1 * $1) } / Double(w.count)).squareRoot()
        XCTAssertEqual(std, (2.0 / 576).squareRoot(), accuracy: 0.005)
        try net.reinitialize(layer: "conv3", with: .constant(0.25), seed: 1)
        XCTAssertEqual(Set(try net.parameters(of: "conv3")[0].values), [0.25])
        XCTAssertEqual(Set(try net.parameters(of: "conv3")[1].values), [0])
    }

    /// Train a few hundred real images briefly: a broken engine stays near chance (10%).
    func testLearnsFashionMNISTFromAFewHundredImages() throws {
        var d = try FashionFixture.load()
        d.train = d.train.stratified(perClass: 40, seed: 1)
        d.test = d.test.stratified(perClass: 30, seed: 1)
        d.normalizeWithTrainingStatistics()
        let net = try Network(spec: .standard(classes: 10), seed: 1)
        let report = try Trainer.train(net, on: d.train, hyperparameters: .testing(epochs: 8, batch: 32, lr: 0.02), seed: 1)
        let m = ClassificationMetrics(predictions: net.predict(d.test.pixels), labels: d.test.labels, classCount: 10)
        XCTAssertLessThan(report.epochs.last!.loss, report.epochs.first!.loss)
        XCTAssertGreaterThan(m.accuracy, 0.60, "400 training images should give well above 10% chance")
    }

    func testTrainingIsReproducibleBitForBit() throws {
        var d = try FashionFixture.load()
        d.train = d.train.stratified(perClass: 10, seed: 3)
        func run() throws -> [Float] {
            let net = try Network(spec: .standard(classes: 10), seed: 5)
            _ = try Trainer.train(net, on: d.train, hyperparameters: .testing(epochs: 1, batch: 16), seed: 5)
            return net.parameters.flatMap(\.values)
        }
        XCTAssertEqual(try run(), try run())
    }

    func testFrozenLayersStayBitIdenticalAndOthersMove() throws {
        var d = try FashionFixture.load()
        d.train = d.train.stratified(perClass: 10, seed: 3)
        let net = try Network(spec: .standard(classes: 10), seed: 5)
        try net.setLearningRateMultiplier(0, layers: ["conv1", "conv2", "conv3"])
        let before = try ["conv1", "conv2", "conv3", "conv4"].map { try net.parameters(of: $0).flatMap(\.values) }
        _ = try Trainer.train(net, on: d.train, hyperparameters: .testing(epochs: 1, batch: 16), seed: 5)
        let after = try ["conv1", "conv2", "conv3", "conv4"].map { try net.parameters(of: $0).flatMap(\.values) }
        XCTAssertEqual(before[0], after[0])
        XCTAssertEqual(before[1], after[1])
        XCTAssertEqual(before[2], after[2])
        XCTAssertNotEqual(before[3], after[3])
        XCTAssertEqual(net.trainableParameterCount, net.parameters.reduce(0) { $0 + $1.count }
                       - (try ["conv1", "conv2", "conv3"].flatMap { try net.parameters(of: $0) }.reduce(0) { $0 + $1.count }))
    }

    func testTelemetryMeasuresHowEachLayerMoved() throws {
        var d = try FashionFixture.load()
        d.train = d.train.stratified(perClass: 10, seed: 3)
        let net = try Network(spec: .standard(classes: 10), seed: 5)
        try net.setLearningRateMultiplier(0, layers: ["conv1", "conv2"])
        let report = try Trainer.train(net, on: d.train, hyperparameters: .testing(epochs: 2, batch: 16), seed: 5)
        let epochs = report.epochs.compactMap(\.layers)
        XCTAssertEqual(epochs.count, 2)
        XCTAssertEqual(epochs[0].map(\.layer), net.parameterLayerNames)
        let conv1 = epochs[1][0], conv3 = epochs[1][2]
        XCTAssertTrue(conv1.frozen)
        XCTAssertEqual(conv1.distanceFromStart, 0)
        XCTAssertEqual(conv1.update, 0)
        XCTAssertFalse(conv3.frozen)
        XCTAssertGreaterThan(conv3.update, 0)
        // Epoch 2's distance from the start is at most epoch 1's plus epoch 2's update (triangle inequality).
        XCTAssertLessThanOrEqual(conv3.distanceFromStart, epochs[0][2].distanceFromStart + conv3.update + 1e-6)
        let w = try net.parameters(of: "conv3")[0].values
        XCTAssertEqual(conv3.weightNorm, w.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot(), accuracy: 1e-6)
    }

    func testLayerCopyAndSafetensorsRoundTrip() throws {
        let source = try Network(spec: .standard(classes: 5), seed: 1)
        let target = try Network(spec: .standard(classes: 3), seed: 2)
        try target.copyLayers(["conv1", "fc7"], from: source)
        XCTAssertEqual(try target.parameters(of: "conv1")[0].values, try source.parameters(of: "conv1")[0].values)
        XCTAssertNotEqual(try target.parameters(of: "conv2")[0].values, try source.parameters(of: "conv2")[0].values)
        XCTAssertThrowsError(try target.copyLayers(["fc8"], from: source)) { XCTAssertTrue("\($0)".contains("fc8.weight has shape [5, 256]")) }
        XCTAssertThrowsError(try target.copyLayers(["conv9"], from: source)) { XCTAssertTrue("\($0)".contains("known layers: conv1")) }

        let path = try temporaryDirectory(self) + "/net.safetensors"
        let norm = Normalization(mean: [0.3], std: [0.2])
        try SavedModel(network: target, classNames: ["a", "b", "c"], normalization: norm).write(to: path)
        let loaded = try SavedModel.read(from: path)
        XCTAssertEqual(loaded.network.spec, target.spec)
        XCTAssertEqual(loaded.classNames, ["a", "b", "c"])
        XCTAssertEqual(loaded.normalization, norm)
        for (p, q) in zip(loaded.network.parameters, target.parameters) { XCTAssertEqual(p.values, q.values) }
        let x = gaussian(4 * 784)
        XCTAssertEqual(loaded.network.logits(for: x), target.logits(for: x))
    }

    func testSafetensorsHeaderIsStandard() throws {
        let net = try Network(spec: .standard(classes: 2), seed: 1)
        let path = try temporaryDirectory(self) + "/net.safetensors"
        try SavedModel(network: net, classNames: ["x", "y"], normalization: nil).write(to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = data.prefix(8).withUnsafeBytes { Int($0.loadUnaligned(as: UInt64.self)) }
        XCTAssertEqual((8 + n) % 8, 0)
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any])
        let fc8 = try XCTUnwrap(header["fc8.weight"] as? [String: Any])
        XCTAssertEqual(fc8["dtype"] as? String, "F32")
        XCTAssertEqual(fc8["shape"] as? [Int], [2, 256])
        let total = net.parameters.reduce(0) { $0 + $1.count * 4 }
        XCTAssertEqual(data.count, 8 + n + total)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SavedModel.read(from: path)) { XCTAssertTrue("\($0)".contains("net.safetensors")) }
    }

    func testSchedulesAreShapedAsDocumented() {
        let oc = LearningRateSchedule.oneCycle
        let first = oc.values(base: 0.05, momentum: 0.9, step: 0, total: 1001, stepsPerEpoch: 100)
        let peak = oc.values(base: 0.05, momentum: 0.9, step: 300, total: 1001, stepsPerEpoch: 100)
        let last = oc.values(base: 0.05, momentum: 0.9, step: 1000, total: 1001, stepsPerEpoch: 100)
        XCTAssertEqual(first.rate, 0.002, accuracy: 1e-7)
        XCTAssertEqual(peak.rate, 0.05, accuracy: 1e-6)
        XCTAssertEqual(peak.momentum, 0.85, accuracy: 1e-6)
        XCTAssertEqual(last.rate, 2e-7, accuracy: 1e-9)
        XCTAssertEqual(LearningRateSchedule.step(every: 2, gamma: 0.1).values(base: 1, momentum: 0.9, step: 450, total: 1000, stepsPerEpoch: 100).rate, 0.01, accuracy: 1e-7)
        XCTAssertEqual(LearningRateSchedule("step:3:0.5"), .step(every: 3, gamma: 0.5))
        XCTAssertNil(LearningRateSchedule("sometimes"))
    }

    func testTrainingNeverHandsBackNonFiniteWeights() throws {
        // The loss is checked before each update; the last update can still leave NaN behind.
        let net = try Network(spec: NetworkSpec(channels: 1, height: 4, width: 4, layers: [.fc("fc1", 2)]), seed: 1)
        var w = try net.parameters(of: "fc1")[0].values
        w[3] = .infinity
        try net.parameters(of: "fc1")[0].values = w
        let data = ImageSet(channels: 1, height: 4, width: 4, pixels: [Float](repeating: 0.5, count: 32), labels: [0, 1])
        XCTAssertThrowsError(try Trainer.train(net, on: data, hyperparameters: .testing(epochs: 0, batch: 2), seed: 1)) {
            XCTAssertEqual("\($0)", "training diverged: fc1.weight holds NaN or infinite values after the last step. help: lower the learning rate")
        }
        XCTAssertEqual(net.firstNonFiniteParameter?.name, "fc1.weight")
    }
}
