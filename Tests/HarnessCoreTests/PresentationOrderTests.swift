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

    /// The label leak by arithmetic: the host's shuffle is public (xoshiro256** seeded by
    /// SplitMix64 from the task's seed XOR the FNV-1a hash of the stream name, and Swift's
    /// Fisher-Yates with Lemire's bounded draws), so a plugin can recompute which of the caller's
    /// images sits at each position and, data being sorted by class, its label. Touches no pixel.
    static let recomputesTheShuffle = """
        #include <harness_strategy.h>
        #include <stdlib.h>
        static uint64_t s[4];
        static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
        static uint64_t next(void) {
            uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
            s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
            return r;
        }
        static void seed(uint64_t x, const char *stream) {
            uint64_t h = 0xCBF29CE484222325ULL;
            for (const char *c = stream; *c; c++) h = (h ^ (uint8_t)*c) * 0x100000001B3ULL;
            x ^= h;
            for (int i = 0; i < 4; i++) {
                x += 0x9E3779B97F4A7C15ULL;
                uint64_t z = x;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL; z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
                s[i] = z ^ (z >> 31);
            }
        }
        static uint64_t below(uint64_t n) {
            unsigned __int128 m = (unsigned __int128)next() * n;
            if ((uint64_t)m < n) { uint64_t t = (0 - n) % n; while ((uint64_t)m < t) m = (unsigned __int128)next() * n; }
            return (uint64_t)(m >> 64);
        }
        static void *configure(void) { static int state; return &state; }
        static int run(void *p, const harness_task *t, const harness_engine *e, harness_host *h, int32_t *out) {
            (void)p; (void)e; (void)h;
            int64_t n = t->eval.count;
            int64_t *order = malloc(sizeof(int64_t) * (size_t)n);
            for (int64_t i = 0; i < n; i++) order[i] = i;
            seed(t->seed, "presentation-order/eval");
            for (int64_t amount = n, i = 0; amount > 1; i++) {
                int64_t j = i + (int64_t)below((uint64_t)amount);
                amount--;
                int64_t x = order[i]; order[i] = order[j]; order[j] = x;
            }
            for (int64_t k = 0; k < n; k++) out[k] = (int32_t)(order[k] * t->classes / n);
            free(order);
            return 0;
        }
        static const harness_strategy strategy = { .abi_version = HARNESS_STRATEGY_ABI_VERSION, .struct_size = sizeof(harness_strategy),
            .name = "position-only", .version = "1", .summary = "recomputes the shuffle", .configure = (void *)configure, .run = run };
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

    func testAStrategyThatRecomputesTheHostsShuffleFromItsSeedScoresAtChance() throws {
        let dir = try temporaryDirectory(self)
        let plugin = try StrategyPlugin(path: try compilePlugin(Self.recomputesTheShuffle, named: "position-only", in: dir))
        try FileManager.default.createDirectory(atPath: dir + "/idx", withIntermediateDirectories: true)
        try writeSortedIDX(dir + "/idx")
        // The whole sorted test set: 20 images of each class in class order.
        let a = try accuracy(on: .directory(dir + "/idx"), evalPerClass: nil, targetPerClass: nil, plugin: plugin, in: dir)
        XCTAssertLessThan(a, 0.45, "recomputing the shuffle must say nothing about labels: \(a)")
    }

    func testRecomputingTheUnlabelledImagesShuffleSaysNothingAboutTheirLabels() {
        // 5 classes x 40 unlabelled target images, sorted by class, each different.
        let classes = 5, per = 40, n = classes * per
        var pixels: [Float] = []
        for i in 0..<n { for k in 0..<4 { pixels.append(Float((i * 7919 + k * 31) % 1000) / 1000) } }
        let images = ImageSet(channels: 1, height: 2, width: 2, pixels: pixels, labels: (0..<n).map { $0 / per })
        var host = SeededGenerator(seed: 1, stream: "presentation-order/unlabelled")
        let shown = PresentationOrder.unlabelled(images, ordering: &host)
        XCTAssertEqual(Set(shown), Set(0..<n))
        // What a plugin can recompute from its seed: the shuffle of 0..<n on the same stream,
        // which was exactly the order shown before the fix (every label right).
        var plugin = SeededGenerator(seed: 1, stream: "presentation-order/unlabelled")
        let recomputed = Array(0..<n).shuffled(using: &plugin)
        let right = zip(shown, recomputed).filter { images.labels[$0] == $1 / per }.count
        XCTAssertLessThan(Double(right) / Double(n), 0.35, "chance is 0.2")
    }

    func testPredictionsComeBackInTheCallersOrder() {
        func images(_ values: [Float]) -> ImageSet {
            ImageSet(channels: 1, height: 1, width: 2, pixels: values, labels: [Int](repeating: 0, count: values.count / 2))
        }
        let pixels = images((0..<50).flatMap { i in [Float(i), Float(i)] })
        let order = PresentationOrder(trainCount: 7, eval: pixels, seed: 3)
        XCTAssertEqual(Set(order.eval), Set(0..<50))
        XCTAssertNotEqual(order.eval, Array(0..<50))
        XCTAssertEqual(order.eval, PresentationOrder(trainCount: 7, eval: pixels, seed: 3).eval, "seeded")
        // The order beneath the shuffle is the content's: the same images in another order are shown alike.
        let reversed = images((0..<50).reversed().flatMap { i in [Float(i), Float(i)] })
        let other = PresentationOrder(trainCount: 7, eval: reversed, seed: 3)
        XCTAssertEqual(reversed.subset(other.eval).pixels, pixels.subset(order.eval).pixels)
        let shown = pixels.subset(order.eval).pixels
        // A strategy that reads each shown image's first pixel back as its "class" is exactly right.
        let predictions = (0..<50).map { Int32(shown[$0 * 2]) }
        XCTAssertEqual(order.restore(predictions), (0..<50).map(Int32.init))
    }
}
