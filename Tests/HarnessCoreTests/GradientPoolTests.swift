// Gradient buffers that share memory by lifetime (GradientLife): training with the pool computes
// exactly what training with a buffer per layer computes, on a chain, on residual blocks (a
// layer's output read twice) and on squeeze-and-excitation (a gate), and the pool holds a
// fraction of what per-layer buffers held.
import XCTest
@testable import HarnessData
@testable import HarnessEngine

final class GradientPoolTests: XCTestCase {
    func images(_ count: Int, shape: (Int, Int, Int), classes: Int = 3) -> ImageSet {
        let (c, h, w) = shape
        return ImageSet(channels: c, height: h, width: w, pixels: gaussian(count * c * h * w, seed: 9), labels: (0..<count).map { $0 % classes })
    }

    /// Trains the network twice from the same seed, pooled and not, and compares every weight and
    /// statistic bit for bit; returns the pooled network.
    @discardableResult
    func assertPoolingChangesNothing(_ spec: NetworkSpec, data: ImageSet, frozen: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> Network {
        var trained: [Network] = []
        for pooled in [false, true] {
            let net = try Network(spec: spec, seed: 3)
            net.poolsGradients = pooled
            if !frozen.isEmpty { try net.setLearningRateMultiplier(0, layers: frozen) }
            _ = try Trainer.train(net, on: data, hyperparameters: .testing(epochs: 2, batch: 4), seed: 7)
            trained.append(net)
        }
        XCTAssertTrue(trained[0].gradientStorage.isEmpty, "unpooled: every layer keeps its own buffer", file: file, line: line)
        XCTAssertFalse(trained[1].gradientStorage.isEmpty, file: file, line: line)
        for (p, q) in zip(trained[0].state, trained[1].state) { XCTAssertTrue(p.values == q.values, "\(p.name) differs", file: file, line: line) }
        return trained[1]
    }

    func testPooledGradientsTrainBitIdenticallyOnAChain() throws {
        // The default network: conv1's lowered weight gradient, pooling, dropout, fully connected layers.
        let pooled = try assertPoolingChangesNothing(.standard(classes: 3), data: images(12, shape: (1, 28, 28)))
        // Every layer's gradient used to be as large as its output; now two at a time suffice.
        let perLayer = pooled.layers.reduce(0) { $0 + $1.outputGradient.byteCount }
        let shared = pooled.gradientStorage.reduce(0) { $0 + $1.byteCount }
        XCTAssertLessThan(shared, perLayer / 2, "pooled \(shared) bytes against \(perLayer) in per-layer gradients")
        // Frozen first layers (AnB): the gradients below the lowest trainable layer are never written.
        try assertPoolingChangesNothing(.standard(classes: 3), data: images(12, shape: (1, 28, 28)), frozen: ["conv1", "conv2"])
    }

    func testPooledGradientsTrainBitIdenticallyThroughResidualBlocksAndGates() throws {
        try assertPoolingChangesNothing(.torchvisionResNet(depth: 18, classes: 3, shape: InputShape(channels: 3, height: 32, width: 32)),
                                        data: images(8, shape: (3, 32, 32)))
        try assertPoolingChangesNothing(.efficientNetB0(classes: 3, shape: InputShape(channels: 3, height: 32, width: 32)),
                                        data: images(8, shape: (3, 32, 32)))
    }
}
