// `harness compare`: the main job. Which transfer strategy wins on this data, by how much, and
// can we believe it? Source networks are trained once and cached; every (strategy, seed) cell
// runs in its own worker process and is stored the moment it finishes; the leaderboard is drawn
// from the database, so an interrupted comparison resumes where it stopped.
import ArgumentParser
import Foundation
import HarnessCore

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare transfer strategies side by side and print a leaderboard.",
        discussion: """
            Example: harness compare --strategies freeze3,finetune,svm-codes
            A source network is trained on the source classes (A) and cached; each strategy then \
            transfers it to the target classes (B) at each seed, in a worker process of its own. \
            The scratch baseline is added unless --no-baseline. Exit status 3 means some cells failed.
            """)

    @Option(help: ArgumentHelp("Comma-separated configurations from strategies.json.", valueName: "names"))
    var strategies: String = "freeze3,finetune,svm-codes"

    @OptionGroup var data: DatasetOptions

    @Option(help: ArgumentHelp("Explicit source classes, e.g. 0,1,2,3,4 (with --target-classes).", valueName: "list"))
    var sourceClasses: String?

    @Option(help: ArgumentHelp("Explicit target classes, e.g. 5,6,7,8,9.", valueName: "list"))
    var targetClasses: String?

    @Option(help: ArgumentHelp("Training images per target class (the small-target regime); 0 for all.", valueName: "K"))
    var targetPerClass: Int = 100

    @Option(help: ArgumentHelp("Evaluation images per target class; 0 for the whole test set.", valueName: "K"))
    var evalPerClass: Int = 0

    @Option(help: "Seeds per strategy (1, 2, …, N).")
    var seeds: Int = 3

    @Option(help: "Training epochs of each strategy on the target.")
    var epochs: Int = 10

    @Option(help: "Training epochs of the source network (trained once, then cached).")
    var baseEpochs: Int = 3

    @Option(help: ArgumentHelp("Training images per source class for the source network; 0 for all.", valueName: "K"))
    var sourcePerClass: Int = 0

    @Option(help: "Images per minibatch.")
    var batch: Int = 64

    @Option(help: ArgumentHelp("Base (peak) learning rate.", valueName: "rate"))
    var lr: Double = 0.05

    @Option(help: "Cells run at once, each in its own worker process.")
    var jobs: Int = 1

    @Option(help: "Threads in all (divided among the jobs); default: all cores.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Seconds before a cell is killed as hung.", valueName: "seconds"))
    var timeout: Double = 1800

    @Option(help: ArgumentHelp("The results database (SQLite).", valueName: "file"))
    var db: String = ResultsDatabase.defaultPath

    @Option(help: ArgumentHelp("Leaderboard format: \(LeaderboardFormat.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "format"))
    var format: String = "table"

    @Option(help: "The configuration every other is measured against.")
    var baseline: String = "scratch"

    @Flag(help: "Do not add the baseline to the comparison.")
    var noBaseline = false

    @Flag(help: "Run again the cells that failed before (a finished cell is otherwise never rerun).")
    var retryFailed = false

    @OptionGroup var plugins: PluginOptions

    func validate() throws {
        guard seeds >= 1, epochs >= 1, baseEpochs >= 1, batch >= 1, jobs >= 1, threads >= 1 else {
            throw ValidationError("--seeds, --epochs, --base-epochs, --batch, --jobs and --threads must be at least 1")
        }
        guard lr > 0, timeout > 0, targetPerClass >= 0, evalPerClass >= 0, sourcePerClass >= 0 else {
            throw ValidationError("--lr and --timeout must be positive; --target-per-class and --eval-per-class not negative")
        }
        guard LeaderboardFormat(rawValue: format) != nil else {
            throw ValidationError("--format takes \(LeaderboardFormat.allCases.map(\.rawValue).joined(separator: ", ")), not '\(format)'")
        }
        guard (sourceClasses == nil) == (targetClasses == nil) else {
            throw ValidationError("--source-classes and --target-classes go together")
        }
        if strategies.split(separator: ",").isEmpty { throw ValidationError("--strategies names at least one configuration") }
    }

    func run() throws {
        EngineThreads.set(threads)
        // Strategies first: a typo should fail in a second, not after training a network.
        let registry = plugins.registry()
        let file = try plugins.strategiesFile()
        var names = strategies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if !noBaseline && !names.contains(baseline) { names.append(baseline) }
        let configured = try names.map { name -> ConfiguredStrategy in
            let c = try file.configuration(named: name)
            return try ConfiguredStrategy(c, plugin: try registry.plugin(named: c.strategy))
        }

        let source = try data.source
        let full = try source.load()
        let (sourceSet, targetSet, splitName) = try classSets(full)
        var setting = ComparisonSetting(
            data: source, datasetName: full.name, datasetFingerprint: full.fingerprint, splitName: splitName,
            sourceClasses: sourceSet, targetClasses: targetSet, targetPerClass: targetPerClass > 0 ? targetPerClass : nil,
            evalPerClass: evalPerClass > 0 ? evalPerClass : nil, epochs: epochs, batchSize: batch, learningRate: lr)
        setting.targetClassNames = targetSet.map { full.classNames[$0] }
        note("comparing \(names.joined(separator: ", ")) on \(full.name): source classes \(sourceSet) -> target classes \(targetSet), "
             + "\(setting.targetPerClass.map { "\($0)" } ?? "all") images per target class, \(seeds) seeds, \(epochs) epochs")

        // Source networks, trained once per recipe and cached.
        let cache = NetworkCache()
        var sources: [String: (path: String, key: String)] = [:]
        for role in Set(configured.map(\.configuration.source.rawValue)).sorted() {
            let classes = role == "self" ? targetSet : sourceSet
            sources[role] = try sourceNetwork(full, classes: classes, role: role, cache: cache)
        }

        let perJob = max(1, threads / jobs)
        let cells: [Cell] = configured.flatMap { c in
            (1...seeds).map { seed in
                let s = sources[c.configuration.source.rawValue]!
                return Cell(setting: setting, configuration: c.configuration.name, strategy: c.plugin.name, pluginPath: c.plugin.path,
                            pluginVersion: c.plugin.version, parameters: Dictionary(uniqueKeysWithValues: c.values.map { ($0.0.name, $0.1) }),
                            parameterOrder: c.values.map(\.0.name), source: c.configuration.source.rawValue,
                            sourceNetwork: s.path, sourceKey: s.key, seed: UInt64(seed), threads: perJob)
            }
        }
        let database = try ResultsDatabase(path: db)
        let finished = try database.finishedKeys(includeFailed: !retryFailed)
        let todo = cells.filter { !finished.contains($0.key) }
        note("\(todo.count) of \(cells.count) cells to run" + (cells.count > todo.count ? " (\(cells.count - todo.count) already in \(db))" : "")
             + (todo.isEmpty ? "" : ", \(jobs) at a time with \(perJob) thread\(perJob == 1 ? "" : "s") each"))

        guard let executable = Installation.executablePath else { throw CLIError("cannot locate the harness binary to start workers") }
        let executor = LocalProcessExecutor(executable: executable, jobs: jobs, timeout: timeout,
                                            workerArguments: plugins.pluginPaths.flatMap { ["--plugin-path", $0] })
        let progress = CellProgress(total: todo.count)
        executor.run(todo, started: { progress.started($0) }) { cell, result in
            do { try database.store(cell, result) } catch { progress.storeFailed(error) }
            progress.finished(cell, result)
        }
        if let error = progress.storeError { throw error }

        let keys = Set(cells.map(\.key))
        let board = Leaderboard(cells: try database.cells(setting: setting.key).filter { keys.contains($0.cell.key) },
                                baseline: baseline, order: names, expectedSeeds: seeds)
        print(board.render(LeaderboardFormat(rawValue: format)!))
        note("results in \(db); redraw with: harness leaderboard --db \(db)")
        if board.hasFailures { throw ExitCode(3) }
    }

    /// Source and target classes, and the split's name.
    private func classSets(_ d: Dataset) throws -> ([Int], [Int], String) {
        if let s = sourceClasses, let t = targetClasses {
            let a = try ClassSelection(s).classes(in: d, split: .random(classCount: d.classCount, seed: 0))
            let b = try ClassSelection(t).classes(in: d, split: .random(classCount: d.classCount, seed: 0))
            guard Set(a).isDisjoint(with: b) else { throw CLIError("--source-classes and --target-classes share classes \(Set(a).intersection(b).sorted())") }
            return (a, b, "explicit")
        }
        let s = try data.classSplit(for: d)
        return (s.a, s.b, s == .dissimilar ? "dissimilar" : "random(seed \(data.splitSeed))")
    }

    /// The network a strategy transfers from, from the cache or trained now.
    private func sourceNetwork(_ full: Dataset, classes: [Int], role: String, cache: NetworkCache) throws -> (path: String, key: String) {
        let spec = NetworkSpec.standard(classes: classes.count, channels: full.train.channels, height: full.train.height, width: full.train.width)
        let recipe = NetworkCache.Recipe(spec: spec, datasetFingerprint: full.fingerprint, classes: classes, seed: data.splitSeed,
                                         perClass: sourcePerClass > 0 ? sourcePerClass : nil,
                                         epochs: baseEpochs, batchSize: batch, learningRate: Float(lr), schedule: "onecycle")
        let got = try cache.obtain(recipe) {
            var d = full.restricted(to: classes)
            if sourcePerClass > 0 { d.train = d.train.stratified(perClass: sourcePerClass, seed: data.splitSeed) }
            let stats = d.normalizeWithTrainingStatistics()
            note("training the \(role == "self" ? "self-transfer (target-class)" : "source") network on classes \(classes): "
                 + "\(d.train.count) images, \(baseEpochs) epochs (cached for later comparisons)")
            let net = try Network(spec: spec, seed: data.splitSeed)
            let display = ProgressDisplay()
            _ = try Trainer.train(net, on: d.train, settings: TrainingSettings(
                epochs: baseEpochs, batchSize: batch, optimizer: OptimizerSettings(learningRate: Float(lr)), schedule: .oneCycle, seed: data.splitSeed),
                progress: display.update)
            let accuracy = ClassificationMetrics(predictions: net.predict(d.test.pixels), labels: d.test.labels, classCount: classes.count).accuracy
            note(String(format: "%@ network: %.2f%% test accuracy on its own classes", role == "self" ? "self-transfer" : "source", accuracy * 100))
            return SavedModel(network: net, classNames: d.classNames, normalization: stats, metadata: ["dataset": full.name])
        }
        if !got.trained { note("using the cached \(role == "self" ? "self-transfer" : "source") network \(got.path)") }
        return (got.path, recipe.key)
    }
}

/// Cells done, running and failed, with an estimate of the time left. Called from the executor's
/// reporting queue only, one call at a time.
final class CellProgress: @unchecked Sendable {
    let total: Int
    private var done = 0, failed = 0, running = 0
    /// The first failure to write the database, which ends the comparison with an error.
    private(set) var storeError: Error?

    func storeFailed(_ error: Error) { if storeError == nil { storeError = error } }
    private let start = Date()

    init(total: Int) { self.total = total }

    func started(_ cell: Cell) {
        running += 1
    }

    func finished(_ cell: Cell, _ result: CellResult) {
        running -= 1
        done += 1
        if result.status == .failed { failed += 1 }
        let elapsed = Date().timeIntervalSince(start)
        let eta = elapsed / Double(done) * Double(total - done)
        let outcome = result.metrics.map { String(format: "%.2f%%", $0.accuracy * 100) } ?? "FAILED: \(result.error ?? "")"
        note("[\(done)/\(total)] \(cell.configuration) seed \(cell.seed): \(outcome) (\(String(format: "%.1f", result.seconds))s)  "
             + "running \(running), failed \(failed), ETA \(duration(eta))")
    }
}
