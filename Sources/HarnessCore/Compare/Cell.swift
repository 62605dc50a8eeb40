// One cell of a comparison: one configured strategy at one seed. A cell is everything a worker
// process needs to run it alone, and its key hashes everything that decides its result, so a
// finished cell is never run again.
import Foundation

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
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    /// Names of the target classes, for reports (optional: older rows lack it).
    public var targetClassNames: [String]?

    public init(data: DataSource, datasetName: String, datasetFingerprint: String, splitName: String, sourceClasses: [Int],
                targetClasses: [Int], targetPerClass: Int?, evalPerClass: Int?, epochs: Int, batchSize: Int, learningRate: Double) {
        self.data = data
        self.datasetName = datasetName
        self.datasetFingerprint = datasetFingerprint
        self.splitName = splitName
        self.sourceClasses = sourceClasses
        self.targetClasses = targetClasses
        self.targetPerClass = targetPerClass
        self.evalPerClass = evalPerClass
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
    }

    /// Identifies this setting in the results database: cells of one setting form one leaderboard.
    public var key: String {
        StableHash.of([datasetFingerprint, splitName, "\(sourceClasses)", "\(targetClasses)", "\(targetPerClass ?? 0)",
                       "\(evalPerClass ?? 0)", "\(epochs)", "\(batchSize)", "\(learningRate)", EngineInfo.engineVersion].joined(separator: "/"))
    }
}

public struct Cell: Codable, Sendable {
    /// How the host runs a cell. Part of every key, so a change to the protocol (version 2: images
    /// shown in a seeded random order) never reuses results made under the old one.
    public static let protocolVersion = 2

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
    /// "base" or "self".
    public var source: String
    /// The cached source network and its key.
    public var sourceNetwork: String
    public var sourceKey: String
    public var seed: UInt64
    /// Threads the worker may use.
    public var threads: Int

    public init(setting: ComparisonSetting, binding: StrategyBinding, sourceNetwork: String, sourceKey: String, seed: UInt64, threads: Int) {
        self.setting = setting
        configuration = binding.configuration.name
        strategy = binding.plugin.name
        pluginPath = binding.plugin.path
        pluginVersion = binding.plugin.version
        pluginHash = binding.plugin.contentHash
        parameters = binding.valuesByName
        parameterOrder = binding.values.map(\.0.name)
        source = binding.configuration.source.rawValue
        self.sourceNetwork = sourceNetwork
        self.sourceKey = sourceKey
        self.seed = seed
        self.threads = threads
    }

    public var parameterSummary: String {
        parameterOrder.map { "\($0)=\(parameters[$0].map { "\($0)" } ?? "?")" }.joined(separator: ", ")
    }

    /// Everything that decides the result (not where files live, nor thread counts).
    public var key: String {
        StableHash.of([setting.key, configuration, strategy, pluginVersion, pluginHash ?? "", parameterSummary, source, sourceKey, "\(seed)",
                       "protocol \(Cell.protocolVersion)"].joined(separator: "/"))
    }

    /// The configuration this cell runs, rebuilt from what it stores.
    public var strategyConfiguration: StrategyConfiguration {
        StrategyConfiguration(name: configuration, strategy: strategy, parameters: parameterOrder.compactMap { n in parameters[n].map { (n, $0) } },
                              source: source == "self" ? .self : .base, description: "", place: configuration)
    }
}

/// What a cell produced.
public struct CellResult: Codable, Sendable {
    public enum Status: String, Codable, Sendable { case ok, failed }
    public var key: String
    public var status: Status
    /// Why it failed: the strategy's reason, a signal, a timeout.
    public var error: String?
    public var metrics: ClassificationMetrics?
    public var seconds: Double
    public var trainableParameters: Int
    /// Loss and training accuracy per epoch, of every network the strategy trained.
    public var curve: [EpochRecord]
    /// The end of what the worker and the plugin printed (nil in older rows).
    public var log: String?

    public static func failure(_ key: String, _ reason: String, seconds: Double, log: String? = nil) -> CellResult {
        CellResult(key: key, status: .failed, error: reason, metrics: nil, seconds: seconds, trainableParameters: 0, curve: [], log: log)
    }
}
