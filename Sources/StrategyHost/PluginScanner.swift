// Reading plugin files without trusting them: each file is opened by `harness scan-plugin` in a
// child process (as GStreamer's plugin scanner does), so a library whose load-time constructor
// aborts, hangs or corrupts memory takes down only the scanner. What the scanner found, or how
// it failed, is remembered by the file's content hash, so a broken file is not reopened on every
// command and a rebuilt one is scanned afresh.
import Foundation
import HarnessSupport

/// What scanning one file found.
public enum ScanOutcome: Codable, Equatable, Sendable {
    case loaded(PluginInfo)
    case failed(PluginError)
}

/// What `harness scan-plugin` writes to its result file.
public struct ScanReport: Codable, Sendable {
    public var outcome: ScanOutcome
    /// With parameter sets to try: nil where configure accepted the set, else why not.
    public var refusals: [String?]
    /// Beside each refusal, the plugin's own reason when it gave one (ABI 2's configure_error).
    public var reasons: [String?]?
    /// Set by the host when the scan ran out of time: a busy machine can time out a sound
    /// plugin, so such an outcome is reported but never remembered.
    public var timedOut: Bool?

    public init(outcome: ScanOutcome, refusals: [String?], reasons: [String?]? = nil) {
        self.outcome = outcome
        self.refusals = refusals
        self.reasons = reasons
    }
}

/// One set of parameter values to try on a plugin's configure, in the scanner.
public struct ParameterSet: Codable, Sendable {
    public var configuration: String
    public var values: [String: ParameterValue]

    public init(configuration: String, values: [String: ParameterValue]) {
        self.configuration = configuration
        self.values = values
    }
}

public struct PluginScanner: Sendable {
    /// The harness binary, whose `scan-plugin` command does the opening.
    public var executable: String
    /// Where outcomes are remembered by content hash; nil remembers nothing.
    public var cacheFile: String?
    public var timeout: Double = 30

    public init(executable: String, cacheFile: String? = PluginScanner.defaultCacheFile) {
        self.executable = executable
        self.cacheFile = cacheFile
    }

    /// Beside the cached source networks: $HARNESS_CACHE_DIR, else ~/.cache/harness/networks.
    public static var defaultCacheFile: String { CacheDirectory.pluginScans }

    /// Scans every file, reusing remembered outcomes; two files at a time.
    public func scan(_ paths: [String]) -> [String: ScanOutcome] {
        var remembered = loadCache()
        var hashes: [String: String] = [:]
        var outcomes: [String: ScanOutcome] = [:]
        var todo: [String] = []
        for path in paths {
            do {
                let hash = try PluginInfo.contentHash(of: path)
                hashes[path] = hash
                if let known = remembered[hash] { outcomes[path] = Self.relocated(known, to: path) } else { todo.append(path) }
            } catch let e as PluginError {
                outcomes[path] = .failed(e)
            } catch {
                outcomes[path] = .failed(.notLoadable(path: path, reason: "\(error)"))
            }
        }
        let scanned = ConcurrentResults<ScanReport>(count: todo.count)
        DispatchQueue.concurrentPerform(iterations: todo.count) { [todo] i in
            scanned.set(i, (try? run(todo[i], trying: [])) ?? ScanReport(outcome: .failed(.notLoadable(path: todo[i], reason: "scanner failed")), refusals: []))
        }
        for (i, path) in todo.enumerated() {
            let report = scanned.values[i]!
            outcomes[path] = report.outcome
            if let hash = hashes[path], report.timedOut != true { remembered[hash] = report.outcome }
        }
        if !todo.isEmpty { saveCache(remembered) }
        return outcomes
    }

    /// Runs configure on each parameter set in a child process, as a cell's worker will: a
    /// plugin that refuses a set (or crashes on it) is reported before any training starts.
    public func check(_ plugin: PluginInfo, _ sets: [ParameterSet]) throws {
        if let first = try problems(plugin, sets).lazy.compactMap({ $0 }).first { throw first }
    }

    /// What `check` finds, for every set (nil where configure accepted it), from one child.
    public func problems(_ plugin: PluginInfo, _ sets: [ParameterSet]) throws -> [PluginError?] {
        guard !sets.isEmpty else { return [] }
        let report = try run(plugin.path, trying: sets)
        if case let .failed(error) = report.outcome { return sets.map { _ in error } }
        return zip(sets, report.refusals).enumerated().map { i, pair in
            pair.1.map { PluginError.configureRefused(configuration: pair.0.configuration, strategy: plugin.name, values: $0,
                                                      reason: report.reasons.flatMap { i < $0.count ? $0[i] : nil }) }
        }
    }

    /// One `harness scan-plugin` child; its crash or hang becomes a failed outcome.
    private func run(_ path: String, trying sets: [ParameterSet]) throws -> ScanReport {
        let scratch = ChildProcess.scratchDirectory("scan", unique: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var arguments = ["scan-plugin", path, "--result", scratch.appendingPathComponent("result.json").path] + ChildProcess.guardArguments(timeout: timeout)
        if !sets.isEmpty {
            let file = scratch.appendingPathComponent("sets.json")
            try HarnessJSON.encoder.encode(sets).write(to: file)
            arguments += ["--try", file.path]
        }
        let outcome = ChildProcess.run(executable, arguments, resultFile: scratch.appendingPathComponent("result.json"), timeout: timeout)
        if let data = outcome.result, let report = try? HarnessJSON.decoder.decode(ScanReport.self, from: data) { return report }
        let why = outcome.failure(timeout: timeout)
        var report = ScanReport(outcome: .failed(.crashedWhileLoading(path: path, reason: why)), refusals: sets.map { _ in why })
        report.timedOut = outcome.timedOut || outcome.signal == SIGALRM
        return report
    }

    /// Opens one file in this process: what the `scan-plugin` child itself does.
    public static func scanInProcess(_ path: String, trying sets: [ParameterSet]) -> ScanReport {
        do {
            let plugin = try StrategyPlugin(path: path)
            let tried: [(refusal: String?, reason: String?)] = sets.map { set in
                let configuration = StrategyConfiguration(name: set.configuration, strategy: plugin.name,
                                                          parameters: set.values.sorted { $0.key < $1.key }, source: .base,
                                                          description: "", place: set.configuration)
                do { _ = try ConfiguredStrategy(configuration, plugin: plugin); return (nil, nil) } catch let PluginError.configureRefused(_, _, values, reason) {
                    return (values, reason)
                } catch { return ("\(error)", nil) }
            }
            return ScanReport(outcome: .loaded(plugin.info), refusals: tried.map(\.refusal), reasons: tried.map(\.reason))
        } catch let e as PluginError {
            return ScanReport(outcome: .failed(e), refusals: sets.map { _ in "\(e)" })
        } catch {
            return ScanReport(outcome: .failed(.notLoadable(path: path, reason: "\(error)")), refusals: sets.map { _ in "\(error)" })
        }
    }

    /// A remembered outcome is of the bytes, wherever the file now lives.
    private static func relocated(_ outcome: ScanOutcome, to path: String) -> ScanOutcome {
        switch outcome {
        case var .loaded(info):
            info.path = path
            return .loaded(info)
        case let .failed(error):
            return .failed(error.at(path))
        }
    }

    /// Forgets every remembered scan (`harness cache clear`); returns how many there were.
    public func clearCache() throws -> Int {
        guard let cacheFile, FileManager.default.fileExists(atPath: cacheFile) else { return 0 }
        let count = loadCache().count
        try FileManager.default.removeItem(atPath: cacheFile)
        return count
    }

    private func loadCache() -> [String: ScanOutcome] {
        guard let cacheFile, let data = FileManager.default.contents(atPath: cacheFile) else { return [:] }
        return (try? HarnessJSON.decoder.decode([String: ScanOutcome].self, from: data)) ?? [:]
    }

    /// Written whole and renamed into place; two commands racing lose at most a rescan.
    private func saveCache(_ outcomes: [String: ScanOutcome]) {
        guard let cacheFile, let data = try? HarnessJSON.encoder.encode(outcomes) else { return }
        try? FileManager.default.createDirectory(atPath: (cacheFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let temporary = cacheFile + ".\(getpid()).partial"
        guard (try? data.write(to: URL(fileURLWithPath: temporary))) != nil else { return }
        rename(temporary, cacheFile)
    }
}

/// Results filled in from concurrent iterations, one slot each.
final class ConcurrentResults<T>: @unchecked Sendable {
    private(set) var values: [T?]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.lock(); values[i] = value; lock.unlock() }
}
