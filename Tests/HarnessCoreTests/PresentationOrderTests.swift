// A strategy must not learn labels from where an image sits. Data often arrives sorted by class
// (per-class sampling, image folders, a user's own IDX files); the host shows images in a seeded
// order, so a strategy that predicts from the index alone scores at chance on every data path.
import XCTest
@testable import HarnessCore
@testable import HarnessData
@testable import HarnessEngine
@testable import StrategyHost
@testable import HarnessCompare

final class PresentationOrderTests: XCTestCase {
    /// Predicts class (index x classes / count) for evaluation image index: 100% on class-sorted
    /// images, touching no pixel. Refuses to run if the training labels arrive sorted.
    static let positionOnly = """
        #include <harness_strategy.h>
        static void *configure(void) { static int state; return &state; }
        static int run(void *s, const harness_task *t, const harness_engine *e, harness_host *h, int32_t *out) {
            (void)s;
            int sorted = 1;
            for (int64_t i = 1; i < t->train.count; i++) if (t->train.labels[i] < t->train.labels[i - 1]) sorted = 0;
            if (sorted) { e->set_error(h, "training labels arrive sorted by class"); return 1; }
            for (int64_t i = 0; i < t->eval.count; i++) out[i] = (int32_t)(i * t->classes / t->eval.count);
            return 0;
        }
        static const harness_strategy strategy = { .abi_version = HARNESS_STRATEGY_ABI_VERSION, .struct_size = sizeof(harness_strategy),
            .name = "position-only", .version = "1", .summary = "predicts from the index", .configure = (void *)configure, .run = run };
        const harness_strategy *harness_strategy_entry_v2(void) { return &strategy; }
        """

    static let classes = 5, trainPerClass = 30, testPerClass = 20, side = 8

    /// Four IDX files whose images are sorted by class, as a user's own export may be.
    func writeSortedIDX(_ dir: String) throws {
        func labels(_ perClass: Int) -> [UInt8] { (0..<Self.classes).flatMap { Array(repeating: UInt8($0), count: perClass) } }
        let n = Self.classes * Self.trainPerClass, m = Self.classes * Self.testPerClass
        try write(idxBytes([n, Self.side, Self.side]), to: dir + "/train-images-idx3-ubyte")
        try write(idxBytes([n], payload: labels(Self.trainPerClass)), to: dir + "/train-labels-idx1-ubyte")
        try write(idxBytes([m, Self.side, Self.side]), to: dir + "/t10k-images-idx3-ubyte")
        try write(idxBytes([m], payload: labels(Self.testPerClass)), to: dir + "/t10k-labels-idx1-ubyte")
    }

    /// DIR/<class>/*.png: the held-out test images come back in class order.
    func writeImageFolder(_ dir: String) throws {
        for k in 0..<Self.classes {
            try FileManager.default.createDirectory(atPath: "\(dir)/c\(k)", withIntermediateDirectories: true)
            for i in 0..<(Self.trainPerClass + Self.testPerClass) {
                let planes = (0..<(Self.side * Self.side)).map { Float(($0 * 7 + i * 13 + k * 50) % 256) / 255 }
                try ImageFile.write(planes, shape: InputShape(channels: 1, height: Self.side, width: Self.side), to: "\(dir)/c\(k)/\(i).png")
            }
        }
    }

    /// The cell a worker would run, on `data`, with the position-only plugin.
    func accuracy(on data: DataSource, evalPerClass: Int?, targetPerClass: Int?, plugin: StrategyPlugin, in dir: String) throws -> Double {
        let spec = NetworkSpec(channels: 1, height: Self.side, width: Self.side, layers: [.conv("conv1", 2, kernel: 3, padding: 1), .relu("relu1"), .fc("fc2", Self.classes)])
        let model = dir + "/source.safetensors"
        try SavedModel(network: try Network(spec: spec, seed: 1), classNames: [], normalization: nil).write(to: model)
        let setting = ComparisonSetting(data: data, datasetName: "sorted", datasetFingerprint: "f", splitName: "explicit", sourceClasses: [],
                                        targetClasses: Array(0..<Self.classes), targetPerClass: targetPerClass, evalPerClass: evalPerClass,
                                        training: .testing(epochs: 1, batch: 8, lr: 0.01))
        let binding = try StrategyBinding(StrategyConfiguration(name: "position", strategy: "position-only", parameters: [], source: .base,
                                                                description: "", place: ""), plugin: plugin.info)
        let result = CellRunner.run(Cell(setting: setting, binding: binding, sourceNetwork: model, sourceKey: "k", seed: 1, threads: 1))
        XCTAssertEqual(result.status, .ok, result.error ?? "")
        return try XCTUnwrap(result.metrics).accuracy
    }

    func testAStrategyPredictingFromPositionScoresAtChanceOnEveryDataPath() throws {
        let dir = try temporaryDirectory(self)
        let plugin = try StrategyPlugin(path: try compilePlugin(Self.positionOnly, named: "position-only", in: dir))
        try FileManager.default.createDirectory(atPath: dir + "/idx", withIntermediateDirectories: true)
        try writeSortedIDX(dir + "/idx")
        try writeImageFolder(dir + "/images")
        let paths: [(String, DataSource, Int?, Int?)] = [
            ("IDX, whole test set", .directory(dir + "/idx"), nil, nil),
            ("IDX, per-class sampling", .directory(dir + "/idx"), 10, 20),
            ("image folder", .directory(dir + "/images"), nil, nil),
        ]
        for (name, data, evalPerClass, targetPerClass) in paths {
            let a = try accuracy(on: data, evalPerClass: evalPerClass, targetPerClass: targetPerClass, plugin: plugin, in: dir)
            // Chance is 20%; the sorted order would give 100%. 100 images: 45% is 6 standard deviations above chance.
            XCTAssertLessThan(a, 0.45, "\(name): \(a)")
        }
    }

    func testPredictionsComeBackInTheCallersOrder() {
        let order = PresentationOrder(trainCount: 7, evalCount: 50, seed: 3)
        XCTAssertEqual(Set(order.eval), Set(0..<50))
        XCTAssertNotEqual(order.eval, Array(0..<50))
        XCTAssertEqual(order.eval, PresentationOrder(trainCount: 7, evalCount: 50, seed: 3).eval, "seeded")
        let pixels = (0..<50).flatMap { i in [Float(i), Float(i)] }
        let shown = order.shuffledEval(pixels, imageSize: 2)
        // A strategy that reads each shown image's first pixel back as its "class" is exactly right.
        let predictions = (0..<50).map { Int32(shown[$0 * 2]) }
        XCTAssertEqual(order.restore(predictions), (0..<50).map(Int32.init))
    }
}
