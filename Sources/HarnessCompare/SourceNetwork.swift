// A network a comparison's cells start from: where it is (or will be) and, when it is trained
// here, everything needed to train it in any process: the coordinator's (local launcher) or a
// cluster job's. Its file lands in the network cache, keyed by its recipe, so whoever trains it
// first, every cell finds it at the planned path.
import Foundation
import HarnessMetrics
import HarnessData
import HarnessEngine
import StrategyHost

public struct SourceNetwork: Codable, Sendable {
    public var role: SourceRole
    /// The network's file: a cache entry, or the user's --source-model.
    public var path: String
    /// What identifies it in cell keys: the recipe's key, or "model HASH" for a given file.
    public var key: String
    /// How to train it when the file is not there yet (nil: a given file).
    public var training: Training?

    public init(role: SourceRole, path: String, key: String, training: Training?) {
        self.role = role
        self.path = path
        self.key = key
        self.training = training
    }

    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// A network trained here: on `data` loaded as the plan loaded it, by `recipe`.
    public struct Training: Codable, Sendable {
        public var recipe: NetworkCache.Recipe
        public var cacheDirectory: String
        public var data: DataSpec
        /// How the data is loaded: at this shape, keeping these images per class (nil: all).
        public var shape: InputShape?
        public var skipUndecodable: Bool
        public var trainPerClass: Int?
        public var testPerClass: Int?
        /// Draws the training images kept.
        public var samplingSeed: UInt64
        /// The seed DataSpec.load gets (random transforms, noise).
        public var transformSeed: UInt64
    }

    /// The file, trained now and saved to the cache if it is not there (or being trained by
    /// another process, which this one waits for). Returns whether this call trained it.
    @discardableResult
    public func obtain(decoders: DecoderProcesses? = nil, log: (String) -> Void = { _ in },
                       progress: ((TrainingProgress) -> Void)? = nil) throws -> Bool {
        guard let training else {
            guard exists else { throw ComparisonError("the source network \(path) is gone") }
            return false
        }
        let cache = NetworkCache(directory: training.cacheDirectory)
        let recipe = training.recipe
        let got = try cache.obtain(recipe, waiting: {
            log("waiting for another comparison that is training the same \(role.networkName) network")
        }) {
            var options = LoadingOptions(shape: training.shape, skipUndecodable: training.skipUndecodable, decoders: decoders)
            options.trainPerClass = training.trainPerClass
            options.testPerClass = training.testPerClass
            options.samplingSeed = training.samplingSeed
            let loaded = try training.data.load(options, seed: training.transformSeed)
            var d = loaded.dataset
            guard d.fingerprint == recipe.datasetFingerprint else {
                throw ComparisonError("\(training.data) changed since the comparison was planned (its images differ). help: run the comparison again")
            }
            if let k = recipe.perClass { d.train = d.train.stratified(perClass: k, seed: recipe.seed) }
            let stats: Normalization
            if let normalization = recipe.normalization {
                d.train.normalize(normalization)
                d.test.normalize(normalization)
                stats = normalization
            } else {
                stats = d.normalizeWithTrainingStatistics()
            }
            log("training the \(role.networkName) network on \(training.data): \(d.train.count) images, \(recipe.training.epochs) epochs (cached for later comparisons)")
            let net = try Network(spec: recipe.spec, seed: recipe.seed)
            let started = Date()
            _ = try Trainer.train(net, on: d.train, hyperparameters: recipe.training, seed: recipe.seed, progress: progress)
            let accuracy = ClassificationMetrics(predictions: net.predict(d.test), labels: d.test.labels, classCount: d.classCount).accuracy
            log(String(format: "%@ network: %.2f%% test accuracy on its own classes (trained in %.1f s)",
                       role.networkName, accuracy * 100, Date().timeIntervalSince(started)))
            return SavedModel(network: net, classNames: d.classNames, normalization: stats,
                              metadata: ["dataset": training.data.description, "own_test_accuracy": "\(accuracy)"])
        }
        if !got.trained { log("using the cached \(role.networkName) network \(got.path)") }
        guard got.path == path else { throw ComparisonError("the cache put the \(role.networkName) network at \(got.path), not the planned \(path)") }
        return got.trained
    }
}
