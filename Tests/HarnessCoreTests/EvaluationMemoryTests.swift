// Evaluation grows a network's kernels only within a memory budget: at 224 px,
// EfficientNet-Lite0's evaluation at the default batch of 256 once needed over 40 GiB of layer
// buffers and the kernel's OOM killer ended the comparison.
import XCTest
@testable import HarnessEngine
@testable import HarnessData

final class EvaluationMemoryTests: XCTestCase {
    func testTheEvaluationBatchFollowsTheNetworksSize() throws {
        let small = try Network(spec: Architecture.standard.spec(classes: 5, shape: InputShape(channels: 1, height: 28, width: 28)), seed: 1)
        XCTAssertGreaterThanOrEqual(Network.evaluationBatchLimit(bytesPerImage: small.bytesPerImage), 256, "the default network keeps batch 256")
        let lite = try Network(spec: Architecture.efficientnetLite0.spec(classes: 10, shape: InputShape(channels: 3, height: 224, width: 224)), seed: 1)
        let limit = Network.evaluationBatchLimit(bytesPerImage: lite.bytesPerImage)
        XCTAssertLessThan(limit, 64, "Lite0 at 224 px: \(lite.bytesPerImage / 1_048_576) MiB an image")
        XCTAssertGreaterThanOrEqual(limit, 1)
        // Evaluating more images than the limit builds kernels of the limit, not of 256.
        let images = ImageSet(channels: 3, height: 224, width: 224, bytes: [UInt8](repeating: 128, count: (limit + 3) * 3 * 224 * 224),
                              labels: [Int](repeating: 0, count: limit + 3))
        XCTAssertEqual(lite.predict(images).count, limit + 3)
        XCTAssertEqual(lite.batchSize, limit)
    }
}
