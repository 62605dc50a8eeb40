// What every comparison shares (compare, transfer-curve): its options, and running a set of
// configured strategies over seeds, with cached source networks, worker-process cells and the
// results database. Returns the stored cells, from which leaderboards, figures and tables are drawn.
import ArgumentParser
import Foundation
import HarnessCore

struct ComparisonOptions: ParsableArguments {
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

    // Two cells side by side, threads split between them: a target task's small batches keep one
    // thread busier than two, and one cell's start-up (loading data, the plugin, the source
    // network) overlaps the other's training. Measured on 2 cores: 61 s vs 64 s for the default
    // comparison's 12 cells.
    @Option(help: "Cells run at once, each in its own worker process (default: 2 when there are 2 or more cores).")
    var jobs: Int = min(2, ProcessInfo.processInfo.activeProcessorCount)

    @Option(help: "Threads in all (divided among the jobs); default: all cores.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Seconds before a cell is killed as hung.", valueName: "seconds"))
    var timeout: Double = 1800

    @Option(help: ArgumentHelp("The results database (SQLite).", valueName: "file"))
    var db: String = ResultsDatabase.defaultPath

    @Flag(help: "Run again the cells that failed before (a finished cell is otherwise never rerun).")
    var retryFailed = false

    @OptionGroup var plugins: PluginOptions

    func validate() throws {
        guard seeds >= 1, epochs >= 1, baseEpochs >= 1, batch >= 1, jobs >= 1, threads >= 1 else {
            throw ValidationError("--seeds, --epochs, --base-epochs, --batch, --jobs and --threads must be at least 1")
        }
        guard lr > 0, timeout > 0, targetPerClass >= 0, evalPerClass >= 0, sourcePerClass >= 0 else {
            throw ValidationError("--lr and --timeout must be positive; --target-per-class, --eval-per-class and --source-per-class not negative")
        }
        guard (sourceClasses == nil) == (targetClasses == nil) else {
            throw ValidationError("--source-classes and --target-classes go together")
        }
    }

    /// The source network's accuracy on its own classes' test images (Yosinski's baseA), as
    /// recorded when it was trained.
    func sourceAccuracy(of cells: [StoredCell]) -> Double? {
        guard let path = cells.first(where: { $0.cell.source == "base" })?.cell.sourceNetwork,
              let saved = try? SavedModel.read(from: path) else { return nil }
        return saved.metadata["own_test_accuracy"].flatMap(Double.init)
    }

    /// Runs every configured strategy at every seed (skipping cells already stored) and returns
    /// the stored cells of this comparison.
    func run(_ configured: [StrategyBinding]) throws -> [StoredCell] {
        EngineThreads.set(threads)
        let (setting, sources) = try prepare(configured)
        // The data set is freed; hand its pages back to the system before workers start.
        EngineMemory.releaseFreePages()

        let perJob = max(1, threads / jobs)
        let cells: [Cell] = configured.flatMap { c in
            (1...seeds).map { seed in
                let s = sources[c.configuration.source.rawValue]!
                return Cell(setting: setting, binding: c, sourceNetwork: s.path, sourceKey: s.key, seed: UInt64(seed), threads: perJob)
            }
        }
        let database = try ResultsDatabase(path: db)
        let succeeded = try database.finishedKeys(includeFailed: false)
        let finished = retryFailed ? succeeded : try database.finishedKeys(includeFailed: true)
        let failedBefore = cells.filter { finished.contains($0.key) && !succeeded.contains($0.key) }.count
        let todo = cells.filter { !finished.contains($0.key) }
        note("\(todo.count) of \(cells.count) cells to run" + (cells.count > todo.count ? " (\(cells.count - todo.count) already in \(db))" : "")
             + (todo.isEmpty ? "" : ", \(jobs) at a time with \(perJob) thread\(perJob == 1 ? "" : "s") each"))
        if failedBefore > 0 {
            note("\(failedBefore) of them failed before and are not rerun; rerun them with --retry-failed")
        }

        guard let executable = Installation.executablePath else { throw CLIError("cannot locate the harness binary to start workers") }
        let executor = LocalProcessExecutor(executable: executable, jobs: jobs, timeout: timeout)
        let progress = CellProgress(total: todo.count)
        executor.run(todo, started: { progress.started($0) }) { cell, result in
            do { try database.store(cell, result) } catch { progress.storeFailed(error) }
            progress.finished(cell, result)
        }
        if let error = progress.storeError { throw error }
        let keys = Set(cells.map(\.key))
        return try database.cells(setting: setting.key).filter { keys.contains($0.cell.key) }
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

    /// The comparison's setting and its source networks (from the cache or trained now). The data
    /// set is loaded here and released on return: workers load their own, and the coordinator
    /// holding a second copy while they run would count against the comparison's memory.
    private func prepare(_ configured: [StrategyBinding]) throws -> (ComparisonSetting, [String: (path: String, key: String)]) {
        let source = try data.source
        let full = try source.load()
        let (sourceSet, targetSet, splitName) = try classSets(full)
        var setting = ComparisonSetting(
            data: source, datasetName: full.name, datasetFingerprint: full.fingerprint, splitName: splitName,
            sourceClasses: sourceSet, targetClasses: targetSet, targetPerClass: targetPerClass > 0 ? targetPerClass : nil,
            evalPerClass: evalPerClass > 0 ? evalPerClass : nil, epochs: epochs, batchSize: batch, learningRate: lr)
        setting.targetClassNames = targetSet.map { full.classNames[$0] }
        note("comparing \(configured.count) strategies on \(full.name): source classes \(sourceSet) -> target classes \(targetSet), "
             + "\(setting.targetPerClass.map { "\($0)" } ?? "all") images per target class, \(seeds) seeds, \(epochs) epochs")

        // Source networks, trained once per recipe and cached.
        let cache = NetworkCache()
        var sources: [String: (path: String, key: String)] = [:]
        for role in Set(configured.map(\.configuration.source.rawValue)).sorted() {
            sources[role] = try sourceNetwork(full, role: role, source: sourceSet, target: targetSet, cache: cache)
        }
        return (setting, sources)
    }

    /// The network a strategy transfers from, from the cache or trained now.
    /// The source network trains on the source classes for --base-epochs. The self-transfer
    /// network (Yosinski's baseB, which BnB copies from) trains as baseB does: on the target
    /// classes, with as many images per class and as many epochs as the target task, so the
    /// control sees no more target data than the strategies do and is as good as baseB.
    private func sourceNetwork(_ full: Dataset, role: String, source: [Int], target: [Int], cache: NetworkCache) throws -> (path: String, key: String) {
        let classes = role == "self" ? target : source
        let perClass = role == "self" ? targetPerClass : sourcePerClass
        let trainingEpochs = role == "self" ? epochs : baseEpochs
        let spec = NetworkSpec.standard(classes: classes.count, channels: full.train.channels, height: full.train.height, width: full.train.width)
        let recipe = NetworkCache.Recipe(spec: spec, datasetFingerprint: full.fingerprint, classes: classes, seed: data.splitSeed,
                                         perClass: perClass > 0 ? perClass : nil,
                                         epochs: trainingEpochs, batchSize: batch, learningRate: Float(lr), schedule: "onecycle")
        let got = try cache.obtain(recipe, waiting: {
            note("waiting for another comparison that is training the same \(role == "self" ? "self-transfer" : "source") network")
        }) {
            var d = full.restricted(to: classes)
            if perClass > 0 { d.train = d.train.stratified(perClass: perClass, seed: data.splitSeed) }
            let stats = d.normalizeWithTrainingStatistics()
            note("training the \(role == "self" ? "self-transfer (target-class)" : "source") network on classes \(classes): "
                 + "\(d.train.count) images, \(trainingEpochs) epochs (cached for later comparisons)")
            let net = try Network(spec: spec, seed: data.splitSeed)
            let started = Date()
            let display = ProgressDisplay()
            _ = try Trainer.train(net, on: d.train, settings: TrainingSettings(
                epochs: trainingEpochs, batchSize: batch, optimizer: OptimizerSettings(learningRate: Float(lr)), schedule: .oneCycle, seed: data.splitSeed),
                progress: display.update)
            let accuracy = ClassificationMetrics(predictions: net.predict(d.test.pixels), labels: d.test.labels, classCount: classes.count).accuracy
            note(String(format: "%@ network: %.2f%% test accuracy on its own classes (trained in %.1f s)",
                        role == "self" ? "self-transfer" : "source", accuracy * 100, Date().timeIntervalSince(started)))
            return SavedModel(network: net, classNames: d.classNames, normalization: stats,
                              metadata: ["dataset": full.name, "own_test_accuracy": "\(accuracy)"])
        }
        if !got.trained { note("using the cached \(role == "self" ? "self-transfer" : "source") network \(got.path)") }
        return (got.path, recipe.key)
    }
}
