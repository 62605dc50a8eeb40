// Every layer's backward pass against finite differences. A layer is checked inside the
// smallest network that holds it (the last layer must be a classifier), with the input's
// gradient checked too, so both backward-data and backward-weights are covered.
import XCTest
@testable import HarnessCore

final class LayerGradientTests: XCTestCase {
    let checker = GradientChecker()

    func network(_ layers: [LayerSpec], channels: Int = 2, size: Int = 6, seed: UInt64 = 11) throws -> Network {
        try Network(spec: NetworkSpec(channels: channels, height: size, width: size, layers: layers), seed: seed, initializer: .xavier)
    }

    func testConvolution() throws {
        let net = try network([.conv("conv", 3, kernel: 3, padding: 1), .fc("fc", 4)])
        XCTAssertGreaterThan(checker.check(net, input: gaussian(2 * 2 * 36), batch: 2), 100)
    }

    func testStridedConvolutionWithoutPadding() throws {
        let net = try network([.conv("conv", 4, kernel: 3, padding: 0, stride: 2), .fc("fc", 3)], size: 7)
        checker.check(net, input: gaussian(3 * 2 * 49), batch: 3)
    }

    func testOneChannelConvolutionLoweredToGEMM() throws {
        // One input channel, as the first layer on grayscale images: the weight gradient runs as
        // im2col + GEMM. Stride 2 with padding 2 puts padding on both sides of strided windows.
        let net = try network([.conv("conv", 5, kernel: 5, padding: 2, stride: 2), .fc("fc", 3)], channels: 1, size: 9)
        XCTAssertGreaterThan(checker.check(net, input: gaussian(3 * 81), batch: 3), 100)
        XCTAssertTrue(net.kernelImplementations.contains { $0.layer == "conv" && $0.phase == .backwardWeights && $0.implementation == "im2col+sgemm" })
    }

    func testStackedConvolutionsInBlockedLayout() throws {
        // 8 and 16 channels: oneDNN picks blocked layouts, so reorders between layers are exercised.
        let net = try network([.conv("c1", 8, kernel: 3, padding: 1), .conv("c2", 16, kernel: 3, padding: 1), .fc("fc", 3)], channels: 8)
        checker.check(net, input: gaussian(2 * 8 * 36), batch: 2)
    }

    func testMaxPooling() throws {
        let net = try network([.maxPool("pool", 2), .fc("fc", 3)], channels: 8)
        checker.check(net, input: wellSeparated(2 * 8 * 36), batch: 2)
    }

    func testMaxPoolingDropsTrailingRow() throws {
        let net = try network([.maxPool("pool", 2), .fc("fc", 3)], channels: 8, size: 7)
        checker.check(net, input: wellSeparated(2 * 8 * 49), batch: 2)
    }

    func testReLU() throws {
        let net = try network([.relu("relu"), .fc("fc", 3)], channels: 8)
        checker.check(net, input: wellSeparated(2 * 8 * 36), batch: 2)
    }

    func testFullyConnectedOnImageAndVector() throws {
        let net = try network([.fc("fc1", 5), .fc("fc2", 3)])
        checker.check(net, input: gaussian(4 * 2 * 36), batch: 4)
    }

    func testDropout() throws {
        let net = try network([.dropout("drop", 0.5), .fc("fc", 3)], channels: 8)
        net.prepare(batch: 2, inputGradient: true)
        net.forward(training: true)  // draws a mask
        let dropout = try XCTUnwrap(net.layers.first as? Dropout)
        dropout.reusesMask = true
        checker.check(net, input: gaussian(2 * 8 * 36), batch: 2)
    }

    func testSoftmaxCrossEntropy() {
        let classes = 4, rows = 3
        var logits = gaussian(rows * classes, sigma: 2)
        let labels: [Int32] = [0, 3, 2]
        var gradient = [Float](repeating: 0, count: rows * classes)
        func loss() -> Double {
            var scratch = gradient
            return labels.withUnsafeBufferPointer { l in
                SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: l, count: rows, rows: rows, classes: classes, gradient: &scratch).loss
            }
        }
        labels.withUnsafeBufferPointer { l in
            _ = SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: l, count: rows, rows: rows, classes: classes, gradient: &gradient)
        }
        let eps: Float = 1e-2
        for i in 0..<logits.count {
            let keep = logits[i]
            logits[i] = keep + eps; let plus = loss()
            logits[i] = keep - eps; let minus = loss()
            logits[i] = keep
            XCTAssertEqual(Double(gradient[i]), (plus - minus) / Double(2 * eps), accuracy: 1e-3, "logit \(i)")
        }
    }

    /// The default 8-layer network end to end on small images, sampling coordinates of every tensor.
    func testStandardNetwork() throws {
        var spec = NetworkSpec.standard(classes: 3, height: 12, width: 12)
        spec.layers.removeAll { $0.kind == .dropout }
        let net = try Network(spec: spec, seed: 3, initializer: .xavier)
        // Zero biases put pre-activations fed only by dead units exactly on the ReLU kink, where
        // no finite difference is meaningful; a trained network's biases are not zero either.
        for (i, bias) in net.parameters.filter({ $0.decayMultiplier == 0 }).enumerated() {
            bias.values = gaussian(bias.count, seed: UInt64(100 + i), sigma: 0.1)
        }
        // 512 ReLUs in fc6 alone: some sit within 1e-4 of their kink, so the step must be tiny.
        var fine = checker
        fine.epsilon = 1e-4
        fine.samplesPerTensor = 12
        fine.check(net, input: wellSeparated(2 * 144, gap: 0.02), batch: 2)
    }
}
