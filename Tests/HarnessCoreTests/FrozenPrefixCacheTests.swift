// The frozen-prefix cache: which layers form a frozen prefix, that training with the prefix's
// outputs cached computes exactly what training without it computes, that a second run reads them
// from disk and runs only the rest, and that the budgets hold with a word in the log.
import XCTest
@testable import HarnessCore
@testable import HarnessData
@testable import HarnessEngine

final class FrozenPrefixCacheTests: XCTestCase {
    func images(_ count: Int, seed: UInt64, shape: (Int, Int, Int) = (1, 28, 28), classes: Int = 3) -> ImageSet {
        let (c, h, w) = shape
        return ImageSet(channels: c, height: h, width: w, pixels: gaussian(count * c * h * w, seed: seed), labels: (0..<count).map { $0 % classes })
    }

    /// The default network with its first three convolutions frozen: freeze3's AnB.
    func frozenStandard() throws -> Network {
        let net = try Network(spec: .standard(classes: 3), seed: 4)
        try net.setLearningRateMultiplier(0, layers: ["conv1", "conv2", "conv3"])
        return net
    }

    /// A small residual network: stem, one residual block, classifier; batch normalisation throughout.
    let residual = NetworkSpec.residual(blocksPerStage: 1, widths: [4, 8], classes: 3, shape: InputShape(channels: 1, height: 8, width: 8))

    func testThePrefixEndsAtTheLastFrozenLayerAndNeverInsideABlock() throws {
        let net = try frozenStandard()
        XCTAssertEqual(net.frozenPrefixEnd(training: true).map(net.layerName), "relu3", "conv1-3 with their ReLUs and pools")
        XCTAssertEqual(net.frozenPrefixEnd(training: true, readLayers: [try net.layerIndex("pool2")]).map(net.layerName), "relu2",
                       "a loss term reading pool2 ends the prefix before it")
        XCTAssertNil(try Network(spec: .standard(classes: 3), seed: 1).frozenPrefixEnd(training: true), "nothing frozen, no prefix")

        let res = try Network(spec: residual, seed: 1)
        let units = res.units
        try res.setLearningRateMultiplier(0, layers: Array(units.prefix(2)))  // the stem and the first block
        res.prepareStatistics(.frozen)
        let end = try XCTUnwrap(res.frozenPrefixEnd(training: true))
        XCTAssertEqual(try res.layerIndex(units[1]), end, "the prefix ends at the frozen block's output")
        res.prepareStatistics(.batch)
        XCTAssertEqual(res.frozenPrefixEnd(training: true).map(res.layerName), "conv1",
                       "batch statistics move with every batch: the prefix stops before the first batch normalisation")
        XCTAssertEqual(res.frozenPrefixEnd(training: false), end, "prediction uses running statistics")
    }

    /// Trains the same network twice, with and without the cache, and returns both with the reports.
    func trainTwice(_ make: () throws -> Network, data: ImageSet, settings: Hyperparameters,
                    cache: PrefixFeatureCache) throws -> (Network, Network, TrainingReport) {
        let plain = try make(), cached = try make()
        plain.prepareStatistics(settings.batchNorm)
        cached.prepareStatistics(settings.batchNorm)
        _ = try Trainer.train(plain, on: data, hyperparameters: settings, seed: 7)
        let report = try Trainer.train(cached, on: data, hyperparameters: settings, seed: 7, prefixCache: cache)
        return (plain, cached, report)
    }

    func testCachedTrainingIsBitIdenticalToUncachedTraining() throws {
        let data = images(40, seed: 1), eval = images(20, seed: 2)
        let memory = PrefixFeatureCache(.init(mode: .memory))
        let (plain, cached, report) = try trainTwice(frozenStandard, data: data, settings: .testing(epochs: 3, batch: 16), cache: memory)
        XCTAssertEqual(report.skippedLayers, 8, "conv1 through relu3 ran once, not in every step")
        XCTAssertEqual(memory.uses.map(\.origin), [.computed])
        for (p, q) in zip(plain.parameters, cached.parameters) { XCTAssertEqual(p.values, q.values, p.name) }
        XCTAssertEqual(plain.logits(for: eval), cached.logits(for: eval))

        // Batch normalisation in the prefix, on running statistics (frozen mode).
        let small = images(24, seed: 3, shape: (1, 8, 8))
        let make = { () throws -> Network in
            let net = try Network(spec: self.residual, seed: 5)
            try net.setLearningRateMultiplier(0, layers: Array(net.units.prefix(2)))
            return net
        }
        let (p2, c2, r2) = try trainTwice(make, data: small, settings: Hyperparameters.testing(epochs: 2, batch: 8).with(.batchNorm, .string("frozen")),
                                          cache: PrefixFeatureCache(.init(mode: .memory)))
        XCTAssertGreaterThan(r2.skippedLayers, 0)
        for (p, q) in zip(p2.state, c2.state) { XCTAssertEqual(p.values, q.values, p.name) }
    }

    func testTheCacheStepsAsideWhenThePrefixCannotStayTheSame() throws {
        let data = images(32, seed: 1)
        let cache = PrefixFeatureCache(.init(mode: .memory))
        let augmented = Hyperparameters.testing(epochs: 1, batch: 16).with(.augment, .string("flip"))
        XCTAssertEqual(try Trainer.train(try frozenStandard(), on: data, hyperparameters: augmented, seed: 1, prefixCache: cache).skippedLayers, 0,
                       "augmentation changes the prefix's input every epoch")
        let off = PrefixFeatureCache(.init(mode: .off))
        XCTAssertEqual(try Trainer.train(try frozenStandard(), on: data, hyperparameters: .testing(epochs: 1, batch: 16), seed: 1, prefixCache: off).skippedLayers, 0)
        XCTAssertTrue(cache.uses.isEmpty && off.uses.isEmpty)

        // Batch statistics in frozen layers: the cache covers only what precedes them, and says why.
        var lines: [String] = []
        let noted = PrefixFeatureCache(.init(mode: .memory)) { lines.append($0) }
        let res = try Network(spec: residual, seed: 1)
        try res.setLearningRateMultiplier(0, layers: Array(res.units.prefix(2)))
        res.prepareStatistics(.batch)
        let report = try Trainer.train(res, on: images(16, seed: 2, shape: (1, 8, 8)), hyperparameters: .testing(epochs: 1, batch: 8), seed: 1, prefixCache: noted)
        XCTAssertEqual(report.skippedLayers, 1, "only conv1, before the first batch normalisation")
        XCTAssertTrue(lines.contains { $0.contains("batch_norm=batch") && $0.contains("batch_norm=frozen") }, "\(lines)")
    }

    func testASecondRunReadsTheOutputsFromDiskInAnyOrderAndRunsOnlyTheRest() throws {
        let directory = try temporaryDirectory(self)
        let data = images(40, seed: 1), eval = images(10, seed: 2)
        let settings = Hyperparameters.testing(epochs: 2, batch: 8)
        func identity(_ order: [Int]) -> PrefixFeatureCache.Identity {
            // canonical[j]: where image j as given sits in the data's own order.
            PrefixFeatureCache.Identity(canonical: order) { PrefixFeatureCache.Identity.fingerprint(of: data) }
        }
        let first = PrefixFeatureCache(.init(mode: .on, directory: directory))
        let a = try frozenStandard()
        _ = try Trainer.train(a, on: data, hyperparameters: settings, seed: 3, prefixCache: first, identity: identity(Array(0..<40)))
        XCTAssertEqual(first.uses.map(\.origin), [.computed])

        // Another process (a fresh cache object), the images shown in another order, as another seed's cell shows them.
        let order = Array((0..<40).reversed())
        let shown = data.subset(order)
        var logLines: [String] = []
        let second = PrefixFeatureCache(.init(mode: .on, directory: directory)) { logLines.append($0) }
        let profile = StepProfile()
        let b = try frozenStandard(), c = try frozenStandard()
        b.profile = profile
        let report = try Trainer.train(b, on: shown, hyperparameters: settings, seed: 3, prefixCache: second, identity: identity(order))
        XCTAssertEqual(second.uses.map(\.origin), [.disk])
        XCTAssertTrue(logLines.contains { $0.contains("from the disk cache") }, "\(logLines)")
        XCTAssertEqual(report.skippedLayers, 8)
        for layer in ["conv1", "relu1", "pool1", "conv2", "conv3", "relu3"] {
            XCTAssertEqual(profile.seconds(layer, .forward), 0, "\(layer) never ran in a training step")
        }
        XCTAssertGreaterThan(profile.seconds("conv4", .forward), 0)
        _ = try Trainer.train(c, on: shown, hyperparameters: settings, seed: 3)
        for (p, q) in zip(b.parameters, c.parameters) { XCTAssertEqual(p.values, q.values, p.name) }
        XCTAssertEqual(b.logits(for: eval), c.logits(for: eval))
    }

    func testEntriesAreComputedFromTheHostsImagesNotFromWhatAPluginWasLent() throws {
        let directory = try temporaryDirectory(self)
        let data = images(24, seed: 1), order = Array((0..<24).reversed())
        // What a plugin holds (and could have written over): the images in its order, zeroed.
        let lent = ImageSet(channels: 1, height: 28, width: 28, pixels: [Float](repeating: 0, count: 24 * 784), labels: order.map { data.labels[$0] })
        let settings = Hyperparameters.testing(epochs: 2, batch: 8)
        let cache = PrefixFeatureCache(.init(mode: .on, directory: directory))
        let fromHost = try frozenStandard(), honest = try frozenStandard()
        _ = try Trainer.train(fromHost, on: lent, hyperparameters: settings, seed: 3, prefixCache: cache,
                              identity: PrefixFeatureCache.Identity(data, shownIn: order))
        _ = try Trainer.train(honest, on: data.subset(order), hyperparameters: settings, seed: 3)
        for (p, q) in zip(fromHost.parameters, honest.parameters) { XCTAssertEqual(p.values, q.values, p.name) }
    }

    func testBuffersNoPassTouchesAreNeverAllocatedOrAreHandedBack() throws {
        // Evaluation builds gradient buffers with the kernels but never touches them.
        let net = try frozenStandard()
        _ = net.logits(for: images(8, seed: 1))
        XCTAssertTrue(net.layers.allSatisfy { !$0.outputGradient.isAllocated }, "no gradient buffer allocated by evaluation")
        XCTAssertTrue(net.layers.allSatisfy { $0.output.isAllocated })

        // Training below the lowest trainable layer writes no gradient; a cached prefix's outputs are handed back.
        let frozen = try frozenStandard()
        _ = try Trainer.train(frozen, on: images(32, seed: 2), hyperparameters: .testing(epochs: 1, batch: 8), seed: 1,
                              prefixCache: PrefixFeatureCache(.init(mode: .memory)))
        let end = try frozen.layerIndex("relu3")
        XCTAssertTrue(frozen.layers[..<end].allSatisfy { !$0.output.isAllocated && !$0.outputGradient.isAllocated })
        XCTAssertTrue(frozen.layers[end].output.isAllocated, "the prefix's last output is where the cached rows are loaded")
        XCTAssertTrue(frozen.layers[(end + 1)...].allSatisfy { $0.output.isAllocated && $0.outputGradient.isAllocated })
    }

    func testBudgetsBoundMemoryAndDiskAndSaySo() throws {
        let directory = try temporaryDirectory(self)
        let data = images(40, seed: 1)
        var lines: [String] = []
        // 40 images x 96 x 7 x 7 floats = 753 KB: over a 100 KB memory budget, without a disk.
        let tight = PrefixFeatureCache(.init(mode: .memory, memoryBudget: 100_000)) { lines.append($0) }
        let report = try Trainer.train(try frozenStandard(), on: data, hyperparameters: .testing(epochs: 1, batch: 8), seed: 1, prefixCache: tight)
        XCTAssertEqual(report.skippedLayers, 0)
        XCTAssertTrue(lines.contains { $0.contains("more than the cache's") && $0.contains("running it on every step instead") }, "\(lines)")

        // With a disk, the same entry spills there: mapped, not held in memory.
        let spilling = PrefixFeatureCache(.init(mode: .on, directory: directory, memoryBudget: 100_000))
        let identity = PrefixFeatureCache.Identity(canonical: Array(0..<40)) { "images-a" }
        XCTAssertEqual(try Trainer.train(try frozenStandard(), on: data, hyperparameters: .testing(epochs: 1, batch: 8), seed: 1,
                                         prefixCache: spilling, identity: identity).skippedLayers, 8)

        // A disk budget of one entry: the next entry evicts the least recently used.
        lines = []
        let oneEntry = PrefixFeatureCache(.init(mode: .on, directory: directory, diskBudget: 800_000)) { lines.append($0) }
        let other = PrefixFeatureCache.Identity(canonical: Array(0..<40)) { "images-b" }
        _ = try Trainer.train(try frozenStandard(), on: data, hyperparameters: .testing(epochs: 1, batch: 8), seed: 1, prefixCache: oneEntry, identity: other)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".f32") }
        XCTAssertEqual(files.count, 1)
        XCTAssertTrue(lines.contains { $0.contains("removed the 1 least recently used") }, "\(lines)")
    }
}
