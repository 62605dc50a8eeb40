// One cell of a comparison: one configured strategy at one seed. A cell is everything a worker
// process needs to run it alone, and its key hashes everything that decides its result, so a
// finished cell is never run again.
import Foundation
import HarnessSupport
import HarnessMetrics
import HarnessData
import HarnessEngine
import StrategyHost

/// The task a comparison poses: the same for every cell of it.
public struct ComparisonSetting: Codable, Equatable, Sendable {
    public var data: DataSource
    public var datasetName: String
    public var datasetFingerprint: String
    public var splitName: String
    public var sourceClasses: [Int]
    public var targetClasses: [Int]
    /// Training images per target class (nil: all).
    public var targetPerClass: Int?
    /// Evaluation images per target class (nil: the whole test set of those classes).
    public var evalPerClass: Int?
    /// The comparison's hyperparameters: what every strategy trains with unless its
    /// configuration (or a trial) changes them.
    public var training: Hyperparameters
    /// Names of the target classes, for reports (optional: older rows lack it).
    public var targetClassNames: [String]?
    // What the comparison transfers between (nil in rows stored before data specs).
    /// The source network's data (nil: only a --source-model is known).
    public var source: DataSpec?
    /// The target data: workers load it through this.
    public var target: DataSpec?
    /// "FILE (content hash)" when the source network came from --source-model.
    public var sourceModel: String?
    /// The source network's input; the target's images are brought to it.
    public var inputShape: InputShape?
    /// The target's images per class as loaded (what ran, for captions; derived from the data,
    /// so not part of the key). nil in rows stored before it.
    public var imageCounts: ImageCounts?
    /// How they are brought to it, when not stretched: a source model's framing (ImageNet's
    /// centre crop for an imported backbone). nil: stretched, as every row before framing.
    public var framing: Framing?
    /// What every target image is normalised with, and where those statistics came from.
    public var normalization: Normalization?
    public var normalizationOrigin: String?
    /// Undecodable target images were skipped (and counted) rather than an error.
    public var skipUndecodable: Bool?
    /// The validation images held out of the target's training images (nil: none, and so no
    /// selection between trials; rows stored before protocol 4).
    public var validation: ValidationSplit?
    /// Every training run keeps the weights of its epoch with the best validation accuracy.
    public var earlyStopping: Bool?
    /// A domain-shift scenario (the same classes on both sides): only this many of each target
    /// class's training images keep their labels; the others are the task's unlabelled images,
    /// and the source's training images (as many per class as the target's) are its labelled
    /// source images. nil: every target training image is labelled, as in ordinary transfer.
    public var targetLabels: Int?
    /// How a domain-shift task's unlabelled images are ordered beneath their seeded shuffle:
    /// "content" (by a hash of their pixels, since the label-leak fix); nil in rows stored before
    /// it, whose cells saw them in their class-sorted order shuffled, and so are keyed apart.
    public var unlabelledOrder: String?

    public init(data: DataSource, datasetName: String, datasetFingerprint: String, splitName: String, sourceClasses: [Int],
                targetClasses: [Int], targetPerClass: Int?, evalPerClass: Int?, training: Hyperparameters) {
        self.data = data
        self.datasetName = datasetName
        self.datasetFingerprint = datasetFingerprint
        self.splitName = splitName
        self.sourceClasses = sourceClasses
        self.targetClasses = targetClasses
        self.targetPerClass = targetPerClass
        self.evalPerClass = evalPerClass
        self.training = training
    }

    /// Identifies this setting in the results database: cells of one setting form one
    /// leaderboard. The hash of canonical JSON of what decides results (not names shown in
    /// reports), with absent and default values left out, so a field added later keeps old keys.
    public var key: String {
        struct Identity: Encodable {
            var dataset: String, split: String, sourceClasses: [Int], targetClasses: [Int], targetPerClass: Int?, evalPerClass: Int?
            var training: Hyperparameters, engine: String
            var source: String?, target: String?, sourceModel: String?, inputShape: String?, normalization: Normalization?
            var skipUndecodable: Bool?, validation: String?, earlyStopping: Bool?, targetLabels: Int?, unlabelledOrder: String?
            var framing: String?
        }
        return StableHash.ofCanonicalJSON(Identity(
            dataset: datasetFingerprint, split: splitName, sourceClasses: sourceClasses, targetClasses: targetClasses,
            targetPerClass: targetPerClass, evalPerClass: evalPerClass, training: training, engine: EngineInfo.engineVersion,
            source: source?.description, target: target?.description, sourceModel: sourceModel, inputShape: inputShape?.description,
            normalization: normalization, skipUndecodable: skipUndecodable == true ? true : nil, validation: validation?.description,
            earlyStopping: earlyStopping == true ? true : nil, targetLabels: targetLabels, unlabelledOrder: unlabelledOrder,
            framing: framing?.description))
    }

    /// One line saying what was transferred to what, for leaderboards and reports.
    public var summary: String {
        guard let target else {
            return "\(datasetName), split \(splitName): source classes \(sourceClasses) -> target classes \(targetClasses)"
        }
        let from = [source.map { "source \($0)" }, sourceModel.map { "source network \($0)" }].compactMap { $0 }.joined(separator: ", ")
        let norm = normalization.map { n in
            "normalised with mean \(n.mean.map { String(format: "%.4f", $0) }.joined(separator: ",")) std \(n.std.map { String(format: "%.4f", $0) }.joined(separator: ","))"
                + (normalizationOrigin.map { " (\($0))" } ?? "")
        } ?? ""
        return "\(from) -> target \(target)" + (inputShape.map { ", images at \($0)" } ?? "")
            + (framing.flatMap { f in inputShape.map { " (\(f.caption($0)))" } } ?? "") + (norm.isEmpty ? "" : ", \(norm)")
            + (skipUndecodable == true ? ", undecodable images skipped" : "")
            + (validation.map { ", validation: \($0) held out of the training images" } ?? "")
            + (earlyStopping == true ? ", early stopping on validation accuracy" : "")
            + (targetLabels.map { ", domain shift: \($0) labelled target images per class, the rest unlabelled" } ?? "")
    }
}

extension ComparisonSetting {
    /// The target data, unnormalised, as the cells at `seed` see it: the same training images
    /// for every strategy at one seed (which lets the leaderboard pair them), the same
    /// evaluation images for all.
    public func loadTarget(seed: UInt64) throws -> Dataset {
        guard let target, let inputShape else {
            // Rows stored before data specs: one data set, split by class.
            var data = try data.load(keeping: Set(targetClasses)).restricted(to: targetClasses)
            if let k = targetPerClass { data.train = data.train.stratified(perClass: k, seed: seed) }
            if let k = evalPerClass { data.test = data.test.stratified(perClass: k, seed: 0) }
            return data
        }
        return try target.load(loading(inputShape, seed: seed, testPerClass: evalPerClass)).dataset
    }

    /// How a cell loads data: at the input shape, the target's budget of training images per
    /// class drawn by the cell's seed.
    private func loading(_ shape: InputShape, seed: UInt64, testPerClass: Int?) -> LoadingOptions {
        var options = LoadingOptions(shape: shape, skipUndecodable: skipUndecodable ?? false)
        options.framing = framing ?? .stretch
        options.trainPerClass = targetPerClass
        options.testPerClass = testPerClass
        options.samplingSeed = seed
        return options
    }

    /// The source's labelled training images for a domain-shift cell: as many per class as the
    /// target's budget, drawn by the cell's seed, at the target's input shape.
    public func loadSourceImages(seed: UInt64) throws -> ImageSet {
        guard let source, let inputShape else {
            throw DataError.mismatch("--target-labels needs the source's data, not only a --source-model")
        }
        // One test image per class: the source's test images are never used here.
        return try source.load(loading(inputShape, seed: seed, testPerClass: 1)).dataset.train
    }
}

public struct Cell: Codable, Sendable {
    /// How the host runs a cell. Part of every key, so a change to the protocol never reuses
    /// results made under the old one. Version 2: images shown in a seeded random order.
    /// Version 3: target data from a data spec at the source network's input shape, normalised
    /// with the comparison's statistics (the self-transfer network's too). Version 4: validation
    /// images held out of the training images and scored apart; training settings per cell.
    public static let protocolVersion = 4

    public var setting: ComparisonSetting
    public var configuration: String
    public var strategy: String
    public var pluginPath: String
    public var pluginVersion: String
    /// The plugin file's content hash (nil in rows stored before it was recorded).
    public var pluginHash: String?
    /// Every declared parameter with the value used.
    public var parameters: [String: ParameterValue]
    public var parameterOrder: [String]
    /// Which source network the strategy starts from.
    public var source: SourceRole
    /// The cached source network and its key.
    public var sourceNetwork: String
    public var sourceKey: String
    public var seed: UInt64
    /// Threads the worker may use.
    public var threads: Int
    /// Where the worker keeps frozen prefixes' outputs (nil: not cached). Not part of the key:
    /// the cache never changes a number.
    public var prefixCache: PrefixFeatureCache.Settings?
    /// The hyperparameters this cell hands its strategy: the comparison's, with its
    /// configuration's and its trial's changes.
    public var training: Hyperparameters
    /// Which trial of a search this is (0 or nil: the untuned configuration).
    public var trial: Int?
    /// The hyperparameters its configuration searches, with their spaces (nil: none), and how.
    public var searched: [SearchedName]?
    public var search: SearchMethod?
    /// Trained on training + validation images, after selection (--refit).
    public var refit: Bool?
    /// Where the worker writes the network that made this cell's predictions (nil: kept
    /// nowhere). Not part of the key: where a model is kept never changes a number.
    public var modelFile: String?

    public init(setting: ComparisonSetting, binding: StrategyBinding, sourceNetwork: String, sourceKey: String, seed: UInt64, threads: Int) {
        self.setting = setting
        configuration = binding.configuration.name
        strategy = binding.plugin.name
        pluginPath = binding.plugin.path
        pluginVersion = binding.plugin.version
        pluginHash = binding.plugin.contentHash
        parameters = binding.valuesByName
        parameterOrder = binding.values.map(\.0.name)
        source = binding.configuration.source
        self.sourceNetwork = sourceNetwork
        self.sourceKey = sourceKey
        self.seed = seed
        self.threads = threads
        training = setting.training
    }

    /// A cell running one trial of a search.
    public init(setting: ComparisonSetting, trial: Trial, of searches: [SearchedHyperparameter], search: SearchMethod, sourceNetwork: String,
                sourceKey: String, seed: UInt64, threads: Int) {
        self.init(setting: setting, binding: trial.binding, sourceNetwork: sourceNetwork, sourceKey: sourceKey, seed: seed, threads: threads)
        training = trial.training
        self.trial = trial.index
        searched = searches.isEmpty ? nil : searches.map { SearchedName(name: $0.name, space: $0.space.description, logarithmic: $0.space.isLogarithmic) }
        self.search = searches.isEmpty ? nil : search
    }

    /// A searched hyperparameter's value in this cell: a plugin parameter or a training setting.
    public func value(of name: String) -> ParameterValue? {
        parameters[name] ?? Hyperparameter(rawValue: name).map { training[$0] }
    }

    /// "lr_mult=0.03, lr=0.01": the searched hyperparameters' values.
    public var chosenSummary: String {
        (searched ?? []).map { "\($0.name)=\(value(of: $0.name).map(Self.short) ?? "?")" }.joined(separator: ", ")
    }

    /// Where `--save-models FOLDER` keeps this cell's model: a folder per comparison id, a file
    /// per configuration, seed and trial.
    public func modelPath(in folder: String) -> String {
        let name = configuration.map { $0.isLetter || $0.isNumber || "-_.+".contains($0) ? $0 : "_" }
        return "\(folder)/\(setting.id)/\(String(name))-seed\(seed)" + ((trial ?? 0) > 0 ? "-trial\(trial!)" : "")
            + (refit == true ? "-refit" : "") + ".harness.safetensors"
    }

    /// A value as tables show it: 3 significant digits for drawn numbers.
    package static func short(_ v: ParameterValue) -> String {
        if case let .double(x) = v { return String(format: "%.3g", x) }
        if case let .string(s) = v { return s }
        return "\(v)"
    }

    public var parameterSummary: String {
        parameterOrder.map { "\($0)=\(parameters[$0].map { "\($0)" } ?? "?")" }.joined(separator: ", ")
    }

    /// Everything that decides the result (not where files live, nor thread counts), as the
    /// hash of canonical JSON with absent and default values left out. Rows keyed by the text
    /// form of earlier versions are re-keyed once by `StoredRowMigration`.
    public var key: String {
        struct Identity: Encodable {
            var setting: String, configuration: String, strategy: String, pluginVersion: String, pluginHash: String?
            var parameters: [String: ParameterValue], source: SourceRole, sourceKey: String, seed: UInt64, protocolVersion: Int
            var training: Hyperparameters, refit: Bool?
        }
        return StableHash.ofCanonicalJSON(Identity(
            setting: setting.key, configuration: configuration, strategy: strategy, pluginVersion: pluginVersion, pluginHash: pluginHash,
            parameters: parameters, source: source, sourceKey: sourceKey, seed: seed, protocolVersion: Cell.protocolVersion,
            training: training, refit: refit == true ? true : nil))
    }

    /// The configuration this cell runs, rebuilt from what it stores.
    public var strategyConfiguration: StrategyConfiguration {
        StrategyConfiguration(name: configuration, strategy: strategy, parameters: parameterOrder.compactMap { n in parameters[n].map { (n, $0) } },
                              source: source, description: "", place: configuration)
    }
}

/// A hyperparameter a cell's configuration searched, as stored with the cell.
public struct SearchedName: Codable, Equatable, Sendable {
    public var name: String
    /// "log-uniform[0.001, 0.1]"
    public var space: String
    public var logarithmic: Bool
}

/// What a cell produced.
public struct CellResult: Codable, Sendable {
    public enum Status: String, Codable, Sendable { case ok, failed }
    public var key: String
    public var status: Status
    /// Why it failed: the strategy's reason, a signal, a timeout.
    public var error: String?
    /// On the test images.
    public var metrics: ClassificationMetrics?
    /// On the validation images (nil without a validation split).
    public var validation: ClassificationMetrics?
    public var seconds: Double
    public var trainableParameters: Int
    /// Loss and training accuracy per epoch, of every network the strategy trained.
    public var curve: [EpochRecord]
    /// The end of what the worker and the plugin printed (nil in older rows).
    public var log: String?
    /// With early stopping: the epoch each training run ended with, in order.
    public var keptEpochs: [Int]? = nil
    /// The cell never finished because the cluster task running it ended first (killed,
    /// cancelled, out of time): a failed row that running the comparison again runs again.
    public var lost: Bool? = nil
    /// The harness model file of the network that made the predictions (with --save-models),
    /// or why there is none (the strategy classifies without one network, the file could not
    /// be written).
    public var modelFile: String? = nil
    public var modelNote: String? = nil

    public static func failure(_ key: String, _ reason: String, seconds: Double, log: String? = nil) -> CellResult {
        CellResult(key: key, status: .failed, error: reason, metrics: nil, validation: nil, seconds: seconds, trainableParameters: 0, curve: [], log: log)
    }
}

/// Images per target class, as loaded: training (before the validation hold-out) and test.
public struct ImageCounts: Codable, Equatable, Sendable {
    public var train: [Int]
    public var test: [Int]

    public init(train: [Int], test: [Int]) {
        self.train = train
        self.test = test
    }

    /// "40" when every class has 40, "32-40" when they differ.
    public static func range(_ counts: [Int]) -> String {
        guard let lo = counts.min(), let hi = counts.max() else { return "0" }
        return lo == hi ? "\(lo)" : "\(lo)-\(hi)"
    }

    /// "32-40 training images per class", with " (100 asked for)" when some class had fewer.
    public func trainingPhrase(asked: Int?) -> String {
        "\(Self.range(train)) training images per class"
            + (asked.map { k in (train.min() ?? 0) < k ? " (\(k) asked for)" : "" } ?? "")
    }
}

