// Every plugin found on a search path, and what is wrong with the ones that did not load. Built
// from the plugin scanner's reports: the host process never opens a plugin itself.
import Foundation

public struct PluginRegistry: Sendable {
    public var plugins: [String: PluginInfo] = [:]
    public var failures: [(path: String, error: PluginError)] = []

    public init(searchPath: PluginSearchPath, scanner: PluginScanner) {
        var seen = Set<String>(), files: [String] = []
        for file in searchPath.candidates() where seen.insert((file as NSString).resolvingSymlinksInPath).inserted { files.append(file) }
        let outcomes = scanner.scan(files)
        for file in files {
            switch outcomes[file]! {
            case let .loaded(info):
                if let first = plugins[info.name] {
                    failures.append((file, .duplicateName(name: info.name, first: first.path, second: file)))
                } else {
                    plugins[info.name] = info
                }
            case let .failed(error):
                failures.append((file, error))
            }
        }
    }

    /// The plugin of that name; two files claiming one name is an error naming both, and a file
    /// that looks like it (NAME.so, libharness-strategy-NAME.so) but failed to load says why.
    public func plugin(named name: String) throws -> PluginInfo {
        if let dup = failures.first(where: { if case .duplicateName(name, _, _) = $0.error { return true } else { return false } }) {
            throw dup.error
        }
        if let p = plugins[name] { return p }
        let fileNames = ["\(name).so", "lib\(name).so", "\(StrategyABI.builtPluginPrefix)\(name).so"]
        if let broken = failures.first(where: { fileNames.contains(($0.path as NSString).lastPathComponent) }) {
            throw PluginError.failedToLoad(name: name, cause: "\(broken.error)")
        }
        throw PluginError.unknownStrategy(name: name, known: plugins.keys.sorted(), brokenFiles: failures.filter { $0.error.path != nil }.count)
    }

    /// Binds configurations to their plugins and has each plugin's configure try them (one
    /// scanner child per plugin): every error a comparison can know of before it trains anything.
    public func bind(_ configurations: [StrategyConfiguration], checkingWith scanner: PluginScanner) throws -> [StrategyBinding] {
        let bindings = try configurations.map { try StrategyBinding($0, plugin: try plugin(named: $0.strategy)) }
        for (_, same) in Dictionary(grouping: bindings, by: \.plugin.path).sorted(by: { $0.key < $1.key }) {
            try scanner.check(same[0].plugin, same.map { ParameterSet(configuration: $0.configuration.name, values: $0.valuesByName) })
        }
        return bindings
    }

    /// Every configuration bound and tried, none stopping the others (`harness strategies`):
    /// the binding, or why there is none. One scanner child per plugin.
    public func bindEach(_ configurations: [StrategyConfiguration], checkingWith scanner: PluginScanner) -> [Result<StrategyBinding, Error>] {
        var results = configurations.map { c in Result<StrategyBinding, Error> { try StrategyBinding(c, plugin: try plugin(named: c.strategy)) } }
        let bound = results.indices.compactMap { i in (try? results[i].get()).map { (i, $0) } }
        for (_, same) in Dictionary(grouping: bound, by: \.1.plugin.path) {
            let sets = same.map { ParameterSet(configuration: $0.1.configuration.name, values: $0.1.valuesByName) }
            do {
                for ((i, _), problem) in zip(same, try scanner.problems(same[0].1.plugin, sets)) {
                    if let problem { results[i] = .failure(problem) }
                }
            } catch {
                for (i, _) in same { results[i] = .failure(error) }
            }
        }
        return results
    }

    /// Other files on the search path that declare the same strategy name as `info`.
    public func clashes(with info: PluginInfo) -> [String] {
        var paths: [String] = []
        if let mine = plugins[info.name], mine.path != info.path { paths.append(mine.path) }
        for f in failures {
            if case let .duplicateName(n, first, second) = f.error, n == info.name {
                paths += [first, second].filter { $0 != info.path && !paths.contains($0) }
            }
        }
        return paths
    }
}
