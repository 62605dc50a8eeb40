// One cell of a comparison: one configured strategy at one seed. A cell is everything a worker
// process needs to run it alone, and its key hashes everything that decides its result, so a
// finished cell is never run again.
import Foundation

extension ParameterValue: Codable {
    private enum Kind: String, Codable { case int, double, bool, string }
    private enum Keys: String, CodingKey { case kind, value }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        switch try c.decode(Kind.self, forKey: .kind) {
        case .int: self = .int(try c.decode(Int.self, forKey: .value))
        case .double: self = .double(try c.decode(Double.self, forKey: .value))
        case .bool: self = .bool(try c.decode(Bool.self, forKey: .value))
        case .string: self = .string(try c.decode(String.self, forKey: .value))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case let .int(v): try c.encode(Kind.int, forKey: .kind); try c.encode(v, forKey: .value)
        case let .double(v): try c.encode(Kind.double, forKey: .kind); try c.encode(v, forKey: .value)
        case let .bool(v): try c.encode(Kind.bool, forKey: .kind); try c.encode(v, forKey: .value)
        case let .string(v): try c.encode(Kind.string, forKey: .kind); try c.encode(v, forKey: .value)
        }
    }
}

extension DataSource: Codable {
    private enum Keys: String, CodingKey { case fashionMNIST, directory }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        if let d = try c.decodeIfPresent(String.self, forKey: .directory) {
            self = .directory(d)
        } else {
            self = .fashionMNIST(directory: try c.decodeIfPresent(String.self, forKey: .fashionMNIST))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case let .fashionMNIST(d): try c.encodeIfPresent(d, forKey: .fashionMNIST)
        case let .directory(d): try c.encode(d, forKey: .directory)
        }
    }
}

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
    public var setting: ComparisonSetting
    public var configuration: String
    public var strategy: String
    public var pluginPath: String
    public var pluginVersion: String
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

    public init(setting: ComparisonSetting, configuration: String, strategy: String, pluginPath: String, pluginVersion: String,
                parameters: [String: ParameterValue], parameterOrder: [String], source: String, sourceNetwork: String,
                sourceKey: String, seed: UInt64, threads: Int) {
        self.setting = setting
        self.configuration = configuration
        self.strategy = strategy
        self.pluginPath = pluginPath
        self.pluginVersion = pluginVersion
        self.parameters = parameters
        self.parameterOrder = parameterOrder
        self.source = source
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
        StableHash.of([setting.key, configuration, strategy, pluginVersion, parameterSummary, source, sourceKey, "\(seed)"]
            .joined(separator: "/"))
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

    public static func failure(_ key: String, _ reason: String, seconds: Double) -> CellResult {
        CellResult(key: key, status: .failed, error: reason, metrics: nil, seconds: seconds, trainableParameters: 0, curve: [])
    }
}
