// Source networks, trained once: a network is saved under the hash of everything that determines
// it (spec, data, classes, seed, training settings, engine version), so a second comparison with
// other strategies trains nothing. Writes are atomic (write, then rename).
import Foundation
import HarnessSupport
import HarnessData
import HarnessEngine

public struct NetworkCache: Sendable {
    public var directory: String

    public init(directory: String = NetworkCache.defaultDirectory) { self.directory = directory }

    /// $HARNESS_CACHE_DIR, else $XDG_CACHE_HOME/harness/networks, else ~/.cache/harness/networks.
    public static var defaultDirectory: String { CacheDirectory.networks }

    /// What determines a trained network.
    public struct Recipe: Sendable {
        public var spec: NetworkSpec
        public var datasetFingerprint: String
        public var classes: [Int]
        public var seed: UInt64
        /// Training images per class (nil: all).
        public var perClass: Int?
        public var training: Hyperparameters
        public var engineVersion = EngineInfo.engineVersion
        /// The data spec trained on (classes, transforms), when trained from one.
        public var data: String?
        /// Statistics the inputs were normalised with, when given rather than the data's own.
        public var normalization: Normalization?

        public init(spec: NetworkSpec, datasetFingerprint: String, classes: [Int], seed: UInt64, perClass: Int?, training: Hyperparameters) {
            self.spec = spec
            self.datasetFingerprint = datasetFingerprint
            self.classes = classes
            self.seed = seed
            self.perClass = perClass
            self.training = training
        }

        public var key: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return StableHash.of(String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self))
        }
    }

    public func path(for recipe: Recipe) -> String { directory + "/\(recipe.key).safetensors" }

    public func contains(_ recipe: Recipe) -> Bool { FileManager.default.fileExists(atPath: path(for: recipe)) }

    /// The cached network's file, training and saving it first if needed. Two comparisons that
    /// need the same network at once train it once: the second waits on the entry's lock (and is
    /// told so through `waiting`), then finds the file.
    public func obtain(_ recipe: Recipe, waiting: () -> Void = {}, train: () throws -> SavedModel) throws -> (path: String, trained: Bool) {
        let p = path(for: recipe)
        if FileManager.default.fileExists(atPath: p) { return (p, false) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lock = open(p + ".lock", O_CREAT | O_RDWR, 0o644)
        guard lock >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: p + ".lock"]) }
        defer { close(lock) }  // closing releases the lock, also if this process dies
        if flock(lock, LOCK_EX | LOCK_NB) != 0 {
            waiting()
            flock(lock, LOCK_EX)
        }
        if FileManager.default.fileExists(atPath: p) { return (p, false) }
        var model = try train()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        model.metadata["recipe"] = String(decoding: try encoder.encode(recipe), as: UTF8.self)
        try model.write(to: p)  // SavedModel writes atomically
        return (p, true)
    }

    public struct Entry: Sendable {
        public var path: String
        public var bytes: Int
        public var modified: Date
        public var summary: String
    }

    public func entries() -> [Entry] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted()
        return names.compactMap { n in
            let p = directory + "/" + n
            guard let attrs = try? FileManager.default.attributesOfItem(atPath: p) else { return nil }
            let recipe = (try? SavedModel.read(from: p)).flatMap { $0.metadata["recipe"] }
                .flatMap { try? JSONDecoder().decode(Recipe.self, from: Data($0.utf8)) }
            let summary = recipe.map { "classes \($0.classes), seed \($0.seed), \($0.training.changesSummary)" } ?? "(no recipe)"
            return Entry(path: p, bytes: (attrs[.size] as? Int) ?? 0, modified: (attrs[.modificationDate] as? Date) ?? .distantPast, summary: summary)
        }
    }

    /// Removes every cached network; returns how many.
    @discardableResult
    public func clear() throws -> Int {
        let all = entries()
        for e in all {
            try FileManager.default.removeItem(atPath: e.path)
            try? FileManager.default.removeItem(atPath: e.path + ".lock")
        }
        return all.count
    }
}

extension NetworkCache.Recipe: Codable {
    // Epochs, batch size, learning rate and schedule stay flat fields, as they were before
    // Hyperparameters existed, so the keys of networks cached then (and of the cells that name
    // them) do not change; any other hyperparameter that differs from its default goes under
    // "training".
    private enum Keys: String, CodingKey {
        case spec, datasetFingerprint, classes, seed, perClass, epochs, batchSize, learningRate, schedule, engineVersion, data, normalization, training
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        spec = try c.decode(NetworkSpec.self, forKey: .spec)
        datasetFingerprint = try c.decode(String.self, forKey: .datasetFingerprint)
        classes = try c.decode([Int].self, forKey: .classes)
        seed = try c.decode(UInt64.self, forKey: .seed)
        perClass = try c.decodeIfPresent(Int.self, forKey: .perClass)
        var t = try c.decodeIfPresent(Hyperparameters.self, forKey: .training) ?? .defaults
        t.epochs = try c.decode(Int.self, forKey: .epochs)
        t.batchSize = try c.decode(Int.self, forKey: .batchSize)
        t.learningRate = try c.decode(Double.self, forKey: .learningRate)
        let schedule = try c.decode(String.self, forKey: .schedule)
        guard let parsed = LearningRateSchedule(schedule) else {
            throw DecodingError.dataCorruptedError(forKey: .schedule, in: c, debugDescription: "unknown schedule '\(schedule)'")
        }
        t.schedule = parsed
        training = t
        engineVersion = try c.decode(String.self, forKey: .engineVersion)
        data = try c.decodeIfPresent(String.self, forKey: .data)
        normalization = try c.decodeIfPresent(Normalization.self, forKey: .normalization)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(spec, forKey: .spec)
        try c.encode(datasetFingerprint, forKey: .datasetFingerprint)
        try c.encode(classes, forKey: .classes)
        try c.encode(seed, forKey: .seed)
        try c.encodeIfPresent(perClass, forKey: .perClass)
        try c.encode(training.epochs, forKey: .epochs)
        try c.encode(training.batchSize, forKey: .batchSize)
        try c.encode(training.learningRate, forKey: .learningRate)
        try c.encode(training.schedule.description, forKey: .schedule)
        var rest = training
        for flat in [Hyperparameter.epochs, .batchSize, .lr, .schedule] { rest[flat] = Hyperparameters.defaults[flat] }
        if rest != .defaults { try c.encode(rest, forKey: .training) }
        try c.encode(engineVersion, forKey: .engineVersion)
        try c.encodeIfPresent(data, forKey: .data)
        try c.encodeIfPresent(normalization, forKey: .normalization)
    }
}
