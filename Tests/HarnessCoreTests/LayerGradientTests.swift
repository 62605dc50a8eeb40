// Every layer's backward pass against finite differences. A layer is checked inside the
// smallest network that holds it (the last layer must be a classifier), with the input's
// gradient checked too, so both backward-data and backward-weights are covered.
import XCTest
@testable import HarnessCore
@testable import HarnessData
@testable import HarnessEngine

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

    func testGroupedAndDepthwiseConvolutions() throws {
        let grouped = try network([.conv("conv", 8, kernel: 3, padding: 1, groups: 2), .fc("fc", 3)], channels: 4)
        XCTAssertGreaterThan(checker.check(grouped, input: gaussian(2 * 4 * 36), batch: 2), 100)
        // Depthwise, strided, on one channel per group: oneDNN's kernel, never the lowered GEMM.
        let depthwise = try network([.conv("dw", 4, kernel: 3, padding: 1, stride: 2, groups: 4), .fc("fc", 3)], channels: 4, size: 7)
        XCTAssertGreaterThan(checker.check(depthwise, input: gaussian(2 * 4 * 49), batch: 2), 50)
        XCTAssertFalse(depthwise.kernelImplementations.contains { $0.implementation == "im2col+sgemm" })
    }

    func testTensorFlowSamePaddedConvolution() throws {
        // 6x6, kernel 3, stride 2: one padding pixel, at the bottom and right only.
        let net = try network([.convSame("conv", 4, kernel: 3, stride: 2, groups: 2), .fc("fc", 3)], channels: 2)
        XCTAssertGreaterThan(checker.check(net, input: gaussian(2 * 2 * 36), batch: 2), 50)
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

    func testMaxPoolingWithPaddingAsTheResNetStem() throws {
        // kernel 3, stride 2, padding 1 (torchvision's ResNet stem): 7x7 -> 4x4.
        let net = try network([.maxPool("pool", 3, stride: 2, padding: 1), .fc("fc", 3)], channels: 8, size: 7)
        XCTAssertEqual(try net.spec.validatedShapes()[0], [8, 4, 4])
        XCTAssertGreaterThan(checker.check(net, input: wellSeparated(2 * 8 * 49), batch: 2), 50)
    }

    func testAveragePoolingWithAWindowAndPaddingAsPyTorch() throws {
        // AvgPool2d(3, stride 2, padding 1): padding counts in the divisor (count_include_pad).
        let size = 5
        let net = try network([.avgPool("pool", 3, stride: 2, padding: 1), .fc("fc", 3)], channels: 1, size: size)
        let input = gaussian(size * size, seed: 6)
        let got = try net.features(at: "pool", for: input)
        var expected: [Float] = []
        for oy in 0..<3 {
            for ox in 0..<3 {
                var sum: Float = 0
                for dy in 0..<3 {
                    for dx in 0..<3 {
                        let y = oy * 2 - 1 + dy, x = ox * 2 - 1 + dx
                        if (0..<size).contains(y), (0..<size).contains(x) { sum += input[y * size + x] }
                    }
                }
                expected.append(sum / 9)
            }
        }
        for (g, e) in zip(got, expected) { XCTAssertEqual(g, e, accuracy: 1e-6) }
        XCTAssertEqual(got.count, 9)
        let checked = try network([.avgPool("pool", 3, stride: 2, padding: 1), .fc("fc", 3)], channels: 8, size: 7)
        XCTAssertGreaterThan(checker.check(checked, input: gaussian(2 * 8 * 49), batch: 2), 50)
    }

    func testPaddedMaxPoolingNeverPicksThePadding() throws {
        // All inputs negative: padding read as 0 would win every border window.
        let size = 5, channels = 2
        let net = try network([.maxPool("pool", 3, stride: 2, padding: 1), .fc("fc", 3)], channels: channels, size: size)
        let input = gaussian(channels * size * size, seed: 4).map { -abs($0) - 0.1 }
        let got = try net.features(at: "pool", for: input)
        var expected: [Float] = []
        for c in 0..<channels {
            for oy in 0..<3 {
                for ox in 0..<3 {
                    var m = -Float.infinity
                    for dy in 0..<3 {
                        for dx in 0..<3 {
                            let y = oy * 2 - 1 + dy, x = ox * 2 - 1 + dx
                            if (0..<size).contains(y), (0..<size).contains(x) { m = max(m, input[(c * size + y) * size + x]) }
                        }
                    }
                    expected.append(m)
                }
            }
        }
        XCTAssertEqual(got, expected)
    }

    func testReLU() throws {
        let net = try network([.relu("relu"), .fc("fc", 3)], channels: 8)
        checker.check(net, input: wellSeparated(2 * 8 * 36), batch: 2)
    }

    /// Inputs over [-8, 8] kept 0.05 away from every kink of the activations (0, ±3, 6), where
    /// a derivative does not exist and finite differences straddle it.
    func awayFromKinks(_ count: Int) -> [Float] {
        gaussian(count, seed: 9, sigma: 4).map { x in
            var v = max(-8, min(8, x))
            for kink: Float in [-3, 0, 3, 6] where abs(v - kink) < 0.05 { v = kink + (v < kink ? -0.05 : 0.05) }
            return v
        }
    }

    func testActivationsMatchPyTorchsDefinitionsAndTheirGradients() throws {
        let reference: [(LayerSpec.Kind, (Float) -> Float)] = [
            (.relu6, { min(max($0, 0), 6) }),
            (.sigmoid, { 1 / (1 + exp(-$0)) }),
            (.silu, { $0 / (1 + exp(-$0)) }),
            (.hardswish, { $0 * min(max($0 + 3, 0), 6) / 6 }),
        ]
        for (kind, f) in reference {
            let net = try network([.activation("act", kind), .fc("fc", 3)], channels: 8)
            let input = awayFromKinks(8 * 36)
            let got = try net.features(at: "act", for: input)
            for (g, x) in zip(got, input) { XCTAssertEqual(g, f(x), accuracy: 1e-5 * max(1, abs(f(x))), "\(kind.rawValue)(\(x))") }
            XCTAssertGreaterThan(checker.check(net, input: awayFromKinks(2 * 8 * 36), batch: 2), 50, kind.rawValue)
        }
    }

    /// Squeeze-and-excitation as torchvision's EfficientNet-B0 writes it: pool, reduce (1x1
    /// conv), SiLU, expand (1x1 conv), sigmoid, and the block's input times the gate per channel.
    func squeezeExcitation(channels: Int) -> [LayerSpec] {
        [.conv("c1", channels, kernel: 3, padding: 1),
         .globalAvgPool("se.pool"), .conv("se.reduce", 2, kernel: 1, padding: 0), .activation("se.silu", .silu),
         .conv("se.expand", channels, kernel: 1, padding: 0), .activation("se.gate", .sigmoid),
         .multiply("se.scale", gate: "se.gate", input: "c1"), .fc("fc", 3)]
    }

    func testChannelMultiplyScalesEachChannelByItsGate() throws {
        let net = try network(squeezeExcitation(channels: 8), channels: 3)
        let input = gaussian(2 * 3 * 36, seed: 5, sigma: 1)
        let x = try net.features(at: "c1", for: input), gate = try net.features(at: "se.gate", for: input)
        let y = try net.features(at: "se.scale", for: input)
        for n in 0..<2 {
            for c in 0..<8 {
                for p in 0..<36 {
                    let i = (n * 8 + c) * 36 + p
                    XCTAssertEqual(y[i], x[i] * gate[n * 8 + c], accuracy: 1e-6 * max(1, abs(y[i])))
                }
            }
        }
        // Both operands' gradients: the block input's (through the product and through the gate's
        // branch) and the gate's, in blocked and plain layouts alike.
        XCTAssertGreaterThan(checker.check(net, input: input, batch: 2), 100)
    }

    func testChannelMultiplyNeedsAGateOfOneValuePerChannel() {
        var layers = squeezeExcitation(channels: 8)
        layers[6] = .multiply("se.scale", gate: "se.silu", input: "c1")
        XCTAssertThrowsError(try network(layers, channels: 3)) { error in
            XCTAssertEqual("\(error)", "invalid network spec: se.scale: its gate se.silu gives shape 2x1x1, but scaling the 8 channels of c1 needs 8x1x1 "
                           + "(a 1x1 convolution of globally pooled features)")
        }
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

    func testBatchNormalizationInTraining() throws {
        // Training mode: the batch's own mean and variance, whose gradients couple every image.
        let net = try network([.conv("conv", 8, kernel: 3, padding: 1), .batchNorm("bn"), .fc("fc", 3)])
        try randomizeAffine(net, "bn")
        XCTAssertGreaterThan(checker.check(net, input: gaussian(4 * 2 * 36), batch: 4), 100)
    }

    func testBatchNormalizationOfVectors() throws {
        // After a fully connected layer: one mean and variance per unit over the batch.
        let net = try network([.fc("fc1", 6), .batchNorm("bn"), .fc("fc2", 3)])
        try randomizeAffine(net, "bn")
        checker.check(net, input: gaussian(5 * 2 * 36), batch: 5)
    }

    func testBatchNormalizationTakesItsOwnEpsilon() throws {
        // EfficientNet's 1e-3 instead of PyTorch's 1e-5: read in inference from y = (x - mean) / sqrt(var + eps).
        let net = try network([.batchNorm("bn", eps: 0.5), .fc("fc", 3)], channels: 2, size: 3)
        let bn = try XCTUnwrap(net.layers[0] as? BatchNormalization)
        XCTAssertEqual(bn.epsilon, 0.5)
        bn.runningMean.values = [1, -1]
        bn.runningVariance.values = [1, 2]
        let input = gaussian(2 * 9, seed: 31)
        let got = try net.features(at: "bn", for: input)
        for (i, (g, x)) in zip(got, input).enumerated() {
            let c = i / 9
            XCTAssertEqual(g, (x - [1, -1][c]) / (Float([1, 2][c]) + 0.5).squareRoot(), accuracy: 1e-5)
        }
        let training = try network([.conv("conv", 8, kernel: 3, padding: 1), .batchNorm("bn", eps: 1e-3), .fc("fc", 3)])
        try randomizeAffine(training, "bn")
        XCTAssertGreaterThan(checker.check(training, input: gaussian(4 * 2 * 36), batch: 4), 100)
    }

    func testBatchNormalizationWithFrozenStatistics() throws {
        let net = try network([.conv("conv", 8, kernel: 3, padding: 1), .batchNorm("bn"), .fc("fc", 3)])
        try randomizeAffine(net, "bn")
        let bn = try XCTUnwrap(net.layers[1] as? BatchNormalization)
        bn.freezesStatistics = true
        bn.runningMean.values = gaussian(8, seed: 21, sigma: 0.5)
        bn.runningVariance.values = gaussian(8, seed: 22).map { 0.5 + abs($0) }
        checker.check(net, input: gaussian(3 * 2 * 36), batch: 3)
        // Frozen statistics are read, never written.
        XCTAssertEqual(bn.runningMean.values, gaussian(8, seed: 21, sigma: 0.5))
    }

    func testBatchNormalizationRunningStatisticsFollowPyTorch() throws {
        // One training step from mean 0 / variance 1 moves them 10% towards the batch's mean
        // and unbiased variance, and inference then normalises with them.
        let net = try network([.batchNorm("bn"), .fc("fc", 2)], channels: 1, size: 2)
        let bn = try XCTUnwrap(net.layers[0] as? BatchNormalization)
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]  // two images of 2x2, one channel
        net.prepare(batch: 2)
        x.withUnsafeBufferPointer { net.inputBuffer.update(from: $0.baseAddress!, count: 8) }
        net.forward(training: true)
        let mean: Float = 4.5, unbiased: Float = 42 / 7
        XCTAssertEqual(bn.runningMean.values[0], 0.1 * mean, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVariance.values[0], 0.9 + 0.1 * unbiased, accuracy: 1e-5)
        net.forward(training: false)
        let y = Array(UnsafeBufferPointer(start: net.layers[0].output.floats, count: 8))
        let rm = bn.runningMean.values[0], rv = bn.runningVariance.values[0]
        for (yi, xi) in zip(y, x) { XCTAssertEqual(yi, (xi - rm) / (rv + 1e-5).squareRoot(), accuracy: 1e-5) }
    }

    func testGlobalAveragePooling() throws {
        let net = try network([.globalAvgPool("gap"), .fc("fc", 3)], channels: 8, size: 5)
        checker.check(net, input: gaussian(2 * 8 * 25), batch: 2)
        XCTAssertEqual(try net.spec.validatedShapes()[0], [8, 1, 1])
    }

    func testResidualBlocks() throws {
        // A stem, a block with an identity shortcut and a block that halves the size and
        // projects its shortcut: the shortcut's gradient joins the main path's at the block input.
        var spec = NetworkSpec.residual(blocksPerStage: 1, widths: [4, 8], classes: 3, shape: InputShape(channels: 2, height: 6, width: 6))
        // Batch normalisation centres every ReLU's input on its kink, where finite differences
        // mean nothing; ReLU has its own check, so here it becomes the identity (same names and wiring).
        for i in spec.layers.indices where spec.layers[i].kind == .relu { spec.layers[i] = .dropout(spec.layers[i].name, 0) }
        let net = try Network(spec: spec, seed: 4)
        for name in net.parameterLayerNames where name.contains("bn") || name.contains("downsample.1") { try randomizeAffine(net, name) }
        XCTAssertEqual(net.units, ["conv1", "layer1.0", "layer2.0", "fc"])
        var fine = checker
        fine.epsilon = 2e-3
        XCTAssertGreaterThan(fine.check(net, input: wellSeparated(3 * 2 * 36, gap: 0.02), batch: 3), 300)
    }

    /// gamma away from 1 and beta away from 0, so their gradients are not checked at a special point.
    func randomizeAffine(_ net: Network, _ layer: String) throws {
        let p = try net.parameters(of: layer)
        p[0].values = gaussian(p[0].count, seed: 31, sigma: 0.3).map { 1 + $0 }
        p[1].values = gaussian(p[1].count, seed: 32, sigma: 0.3)
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
