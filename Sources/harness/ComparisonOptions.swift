// What every comparison shares (compare, transfer-curve): its options, and running a set of
// configured strategies over seeds, with cached source networks, worker-process cells and the
// results database. Returns the stored cells, from which leaderboards, figures and tables are drawn.
import ArgumentParser
import Foundation
import HarnessCore

struct ComparisonOptions: ParsableArguments {
    @OptionGroup var transfer: TransferOptions
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

    @OptionGroup var architecture: NetworkOptions
    @OptionGroup var basics: TrainingBasics
    var epochs: Int {
        get { basics.epochs }
        set { basics.epochs = newValue }
    }
    var batch: Int { basics.batch }
    var lr: Double { basics.lr }

    @Option(help: "Training epochs of the source network (trained once, then cached).")
    var baseEpochs: Int = 3

    @Option(help: ArgumentHelp("Training images per source class for the source network; 0 for all.", valueName: "K"))
    var sourcePerClass: Int = 0


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

    @Option(help: ArgumentHelp("Validation images held out of each target class's training images, for choosing between trials: "
                               + "K images per class, a fraction (0.2) or a percentage (20%); 0 for none.", valueName: "K|fraction"))
    var validationPerClass: String = "20%"

    @Option(help: ArgumentHelp("Trials per strategy: trial 0 is its default configuration, the others draw from the search spaces "
                               + "in strategies.json. Per seed, the trial with the best validation accuracy is reported.", valueName: "T"))
    var trials: Int = 1

    @Option(help: ArgumentHelp("How trials explore the spaces: \(SearchMethod.allCases.map(\.rawValue).joined(separator: " or ")).", valueName: "method"))
    var search: String = SearchMethod.random.rawValue

    @Option(help: ArgumentHelp("Stop starting cells after this many minutes (fewer trials are run, trial 0 first); running cells finish.", valueName: "minutes"))
    var budget: Double?

    @Flag(help: "After selection, retrain each selected configuration on training + validation images and report that model's test accuracy.")
    var refit = false

    @Flag(help: "Every training run keeps the weights of its epoch with the best accuracy on the validation images.")
    var earlyStopping = false

    @Option(help: ArgumentHelp("A domain-shift scenario (the same classes on both sides, e.g. --target fashion-mnist@rotate:90): keep the labels of "
                               + "only K training images per target class and show the others unlabelled, for adaptation strategies "
                               + "(source-only, mmd, coral, dann); 0 is unsupervised adaptation.", valueName: "K"))
    var targetLabels: Int?

    @OptionGroup var plugins: PluginOptions

    func validate() throws {
        guard seeds >= 1, baseEpochs >= 1, jobs >= 1, threads >= 1 else {
            throw ValidationError("--seeds, --base-epochs, --jobs and --threads must be at least 1")
        }
        guard timeout > 0, targetPerClass >= 0, evalPerClass >= 0, sourcePerClass >= 0 else {
            throw ValidationError("--timeout must be positive; --target-per-class, --eval-per-class and --source-per-class not negative")
        }
        guard (sourceClasses == nil) == (targetClasses == nil) else {
            throw ValidationError("--source-classes and --target-classes go together")
        }
        if transfer.target != nil && (sourceClasses != nil || data.data != nil) {
            throw ValidationError("--target names the target data; --data, --source-classes and --target-classes are the shorthand for one data set split in two, not both")
        }
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1") }
        guard SearchMethod(rawValue: search) != nil else {
            throw ValidationError("--search takes \(SearchMethod.allCases.map(\.rawValue).joined(separator: " or ")), not '\(search)'")
        }
        guard let split = ValidationSplit(validationPerClass) else {
            throw ValidationError("--validation-per-class takes images per class (20), a fraction (0.2) or a percentage (20%), not '\(validationPerClass)'")
        }
        if split.isEmpty && (trials > 1 || refit || earlyStopping) {
            throw ValidationError("--trials, --refit and --early-stopping choose on validation images, and --validation-per-class 0 holds none out")
        }
        if let k = targetLabels {
            guard k >= 0 else { throw ValidationError("--target-labels must not be negative") }
            if k == 0 && (trials > 1 || refit || earlyStopping) {
                throw ValidationError("--target-labels 0 leaves no labelled target image to hold out for validation, so --trials, --refit and --early-stopping cannot choose")
            }
            if k > 0 && targetPerClass > 0 && k > targetPerClass {
                throw ValidationError("--target-labels \(k) exceeds --target-per-class \(targetPerClass), the target's training images per class")
            }
            if transfer.sourceModel != nil {
                throw ValidationError("--target-labels gives adaptation strategies the source's labelled images, so it needs --source data, not --source-model")
            }
        }
        if refit && earlyStopping {
            throw ValidationError("--refit retrains on the validation images too, so nothing is left to stop early on; use one of --refit and --early-stopping")
        }
        if let budget, budget <= 0 { throw ValidationError("--budget must be a positive number of minutes") }
        if transfer.sourceModel != nil && architecture.network != Architecture.standard.rawValue {
            throw ValidationError("--source-model brings its own network; --network chooses the one a source network is trained as, not both")
        }
    }

    /// The validation split, or nil for none.
    var validation: ValidationSplit? { ValidationSplit(validationPerClass).flatMap { $0.isEmpty ? nil : $0 } }

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
        let method = SearchMethod(rawValue: search)!
        let defaults = TrainingChoice(learningRate: lr, epochs: epochs)
        let trialsOf = try configured.map { try $0.trials(trials, defaults: defaults, method: method) }
        if trials > 1, let flat = zip(configured, trialsOf).first(where: { $0.1.count == 1 && $0.0.configuration.searches.isEmpty }) {
            note("\(flat.0.configuration.name) declares no search space in strategies.json, so it runs its one configuration")
        }
        // Trial-major: every strategy's untuned configuration at every seed first, so that a budget
        // that ends early leaves a complete untuned comparison and fewer trials, not fewer strategies.
        var planned: [Cell] = []
        var keys = Set<String>()
        for t in 0..<(trialsOf.map(\.count).max() ?? 1) {
            for (c, ts) in zip(configured, trialsOf) where t < ts.count {
                let s = sources[c.configuration.source.rawValue]!
                for seed in 1...seeds {
                    let cell = Cell(setting: setting, trial: ts[t], of: c.configuration.searches, search: method, sourceNetwork: s.path,
                                    sourceKey: s.key, seed: UInt64(seed), threads: perJob)
                    if keys.insert(cell.key).inserted { planned.append(cell) }
                }
            }
        }
        let database = try ResultsDatabase(path: db)
        var stored = try execute(planned, in: database, setting: setting, threads: perJob, what: "cells")
        if refit {
            let refits = TrialSelection(stored).choices.values.flatMap { $0.values.compactMap { $0.selected.map { TrialSelection.refitCell(of: $0.cell) } } }
            note("refitting \(refits.count) selected configurations on training + validation images")
            stored += try execute(refits.sorted { ($0.configuration, $0.seed) < ($1.configuration, $1.seed) }, in: database, setting: setting,
                                  threads: perJob, what: "refit cells")
        }
        return stored
    }

    /// Runs the cells not yet stored (worker processes, `jobs` at a time, within --budget) and
    /// returns the stored ones among `cells`.
    private func execute(_ cells: [Cell], in database: ResultsDatabase, setting: ComparisonSetting, threads perJob: Int, what: String) throws -> [StoredCell] {
        let succeeded = try database.finishedKeys(includeFailed: false)
        let finished = retryFailed ? succeeded : try database.finishedKeys(includeFailed: true)
        let failedBefore = cells.filter { finished.contains($0.key) && !succeeded.contains($0.key) }.count
        var todo = cells.filter { !finished.contains($0.key) }

        // Cost up front, from the speed of cells stored before; --budget keeps the trials that fit.
        let estimate = CostEstimate(history: try database.cells())
        var expected = estimate.seconds(for: todo, jobs: jobs)
        if let budget, let total = expected, total > budget * 60 {
            var kept: [Cell] = [], spent = 0.0
            for cell in todo {
                let cost = (estimate.seconds(for: cell) ?? 0) / Double(jobs)
                if spent + cost > budget * 60 && (cell.trial ?? 0) > 0 { continue }
                kept.append(cell)
                spent += cost
            }
            note("--budget \(String(format: "%g", budget)) min: \(kept.count) of \(todo.count) \(what) fit (about \(duration(total)) for all); "
                 + "the rest, later trials first, are left out")
            todo = kept
            expected = spent
        }
        note("\(todo.count) of \(cells.count) \(what) to run" + (cells.count > todo.count ? " (\(cells.count - todo.count) already in \(db) or left out)" : "")
             + (todo.isEmpty ? "" : ", \(jobs) at a time with \(perJob) thread\(perJob == 1 ? "" : "s") each")
             + (todo.isEmpty ? "" : expected.map { "; about \(duration($0)) from the speed of \(estimate.basis) earlier cells in \(db)" }
                ?? "; no earlier cells in \(db) to estimate the time from (the progress lines give an ETA)"))
        if failedBefore > 0 {
            note("\(failedBefore) of them failed before and are not rerun; rerun them with --retry-failed")
        }

        guard let executable = Installation.executablePath else { throw CLIError("cannot locate the harness binary to start workers") }
        let executor = LocalProcessExecutor(executable: executable, jobs: jobs, timeout: timeout,
                                            deadline: budget.map { Date().addingTimeInterval($0 * 60) })
        let progress = CellProgress(total: todo.count)
        executor.run(todo, started: { progress.started($0) }) { cell, result in
            do { try database.store(cell, result) } catch { progress.storeFailed(error) }
            progress.finished(cell, result)
        }
        if let error = progress.storeError { throw error }
        if progress.count < todo.count { note("--budget reached: \(todo.count - progress.count) \(what) not started") }
        let keys = Set(cells.map(\.key))
        return try database.cells(setting: setting.key).filter { keys.contains($0.cell.key) }
    }

    /// Source and target classes of the one-data-set shorthand, and the split's name.
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

    /// The source and target SPECs: as given with --source/--target, or the shorthand's halves of
    /// one data set written as SPECs (`fashion-mnist:0,2,4,6,8`), so both paths load alike.
    private func specs() throws -> (source: DataSpec?, target: DataSpec, splitName: String) {
        if let target = transfer.target {
            guard transfer.source != nil || transfer.sourceModel != nil else {
                throw CLIError("--target needs a source: --source SPEC (a network is trained on it) or --source-model FILE")
            }
            return (try transfer.sourceSpec?.resolved(), try DataSpec(target).resolved(), "specs")
        }
        let source = try data.source
        let name: String
        switch source {
        case .fashionMNIST: name = "fashion-mnist"
        case let .directory(path): name = URL(fileURLWithPath: path).standardizedFileURL.path
        }
        let classNames = try source.classNames()
        let (a, b, splitName) = try classSets(Dataset(name: name, classNames: classNames, train: ImageSet(channels: 1, height: 1, width: 1, pixels: [], labels: []),
                                                      test: ImageSet(channels: 1, height: 1, width: 1, pixels: [], labels: [])))
        func spec(_ classes: [Int]) throws -> DataSpec { try DataSpec(name + ":" + classes.map(String.init).joined(separator: ",")) }
        let sourceSpec = try transfer.sourceSpec.map { try $0.resolved() } ?? spec(a)
        return (transfer.sourceModel == nil || transfer.source != nil ? sourceSpec : nil, try spec(b), splitName)
    }

    /// The comparison's setting and its source networks (from --source-model, the cache, or
    /// trained now). The data is loaded here and released on return: workers load their own, and
    /// the coordinator holding a second copy while they run would count against their memory.
    private func prepare(_ configured: [StrategyBinding]) throws -> (ComparisonSetting, [String: (path: String, key: String)]) {
        let (sourceSpec, targetSpec, splitName) = try specs()
        let cache = NetworkCache()
        var sources: [String: (path: String, key: String)] = [:]

        // A misspelt target class fails now, not after training a network.
        _ = try targetSpec.classes(in: try targetSpec.source.classNames())

        // The source network decides the input shape and the normalisation; the target is loaded
        // at that shape before any training, so an undecodable image also fails early.
        var model: SourceModel?
        var sourceData: LoadedData?
        let shape: InputShape
        if let file = transfer.sourceModel {
            model = try SourceModel(path: file)
            shape = model!.saved.inputShape
        } else {
            sourceData = try sourceSpec!.load(transfer.loading(transfer.inputShape, perClass: sourcePerClass > 0 ? sourcePerClass : nil, seed: data.splitSeed),
                                              seed: data.splitSeed)
            shape = InputShape(sourceData!.dataset.train)
        }
        // The images the self-transfer network trains on (as baseB: the target's budget, drawn by
        // the split seed); the cells draw their own.
        let target = try targetSpec.load(transfer.loading(shape, perClass: targetPerClass > 0 ? targetPerClass : nil,
                                                          testPerClass: evalPerClass > 0 ? evalPerClass : nil, seed: data.splitSeed), seed: 0)
        guard target.dataset.classCount >= 2 else { throw CLIError("the target \(targetSpec) has \(target.dataset.classCount) class; a task needs two or more") }
        if targetLabels != nil {
            // A domain shift keeps the classes: checked before any network is trained.
            let names = (sourceData?.dataset.classNames ?? [], target.dataset.classNames)
            guard names.0 == names.1 else {
                throw CLIError("--target-labels needs the same classes on both sides (a domain shift), but the source has "
                               + "\(names.0.joined(separator: ", ")) and the target \(names.1.joined(separator: ", ")). "
                               + "help: --source DATA --target DATA@TRANSFORM, e.g. --source fashion-mnist --target fashion-mnist@rotate:90")
            }
        }
        if let r = sourceData?.report { note("source \(sourceSpec!): \(r.summary)") }
        if let r = target.report { note("target \(targetSpec): \(r.summary)") }

        let base: (path: String, key: String), sourceClasses: [Int], storedNormalization: Normalization?
        if let model {
            base = (URL(fileURLWithPath: model.path).standardizedFileURL.path, "model \(model.contentHash)")
            sourceClasses = []
            storedNormalization = model.saved.normalization.flatMap { $0.mean.count == shape.channels ? $0 : nil }
            note("source network \(model.label): \(model.saved.network.units.count) transfer units, input \(shape), "
                 + "\(model.saved.classNames.count) classes")
        } else {
            let loaded = sourceData!
            sourceClasses = loaded.classes
            base = try sourceNetwork(loaded, role: "base", spec: try architecture.choice.spec(classes: loaded.dataset.classCount, shape: shape),
                                     perClass: sourcePerClass, epochs: baseEpochs, normalization: nil, cache: cache)
            storedNormalization = try SavedModel.read(from: base.path).normalization
        }
        sources["base"] = base
        let storedOrigin = model == nil ? "the source network's training images" : "stored with the source network"
        let (normalization, origin): (Normalization, String) = storedNormalization.map { ($0, storedOrigin) }
            ?? (target.dataset.train.channelStatistics(), "the target's training images: the source network stores none")

        var setting = ComparisonSetting(
            data: try targetSpec.source, datasetName: target.dataset.name, datasetFingerprint: target.dataset.fingerprint, splitName: splitName,
            sourceClasses: sourceClasses, targetClasses: target.classes, targetPerClass: targetPerClass > 0 ? targetPerClass : nil,
            evalPerClass: evalPerClass > 0 ? evalPerClass : nil, epochs: epochs, batchSize: batch, learningRate: lr)
        setting.targetClassNames = target.dataset.classNames
        setting.source = sourceSpec
        setting.target = targetSpec
        setting.sourceModel = model?.label
        setting.inputShape = shape
        setting.normalization = normalization
        setting.normalizationOrigin = origin
        setting.skipUndecodable = transfer.skipUndecodable ? true : nil
        setting.validation = validation
        setting.earlyStopping = earlyStopping ? true : nil
        if let k = targetLabels {
            setting.targetLabels = k
            if k == 0 { setting.validation = nil }  // no labelled target image to hold out
            note("domain shift: \(k) labelled training images per target class, the rest unlabelled; the source's labelled images, "
                 + "\(setting.targetPerClass.map { "\($0)" } ?? "all") per class, come with every task")
        }
        note("comparing \(configured.count) strategies: \(setting.summary); "
             + "\(setting.targetPerClass.map { "\($0)" } ?? "all") images per target class, \(seeds) seeds, \(epochs) epochs")

        if configured.contains(where: { $0.configuration.source == .self }) {
            let baseSpec = try SavedModel.read(from: base.path).network.spec
            sources["self"] = try sourceNetwork(target, role: "self", spec: baseSpec.withClasses(target.dataset.classCount),
                                                perClass: targetPerClass, epochs: epochs, normalization: normalization, cache: cache)
        }
        return (setting, sources)
    }

    /// A network trained here, from the cache or now: the source network trains on the source
    /// data for --base-epochs. The self-transfer network (Yosinski's baseB, which BnB copies from)
    /// trains as baseB does: on the target data, with as many images per class and as many epochs
    /// as the target task, and inputs normalised as the target task's, so the control sees no more
    /// target data than the strategies do and is as good as baseB.
    private func sourceNetwork(_ loaded: LoadedData, role: String, spec: NetworkSpec, perClass: Int, epochs trainingEpochs: Int,
                               normalization: Normalization?, cache: NetworkCache) throws -> (path: String, key: String) {
        let what = role == "self" ? "self-transfer" : "source"
        var recipe = NetworkCache.Recipe(spec: spec, datasetFingerprint: loaded.dataset.fingerprint, classes: loaded.classes, seed: data.splitSeed,
                                         perClass: perClass > 0 ? perClass : nil,
                                         epochs: trainingEpochs, batchSize: batch, learningRate: Float(lr), schedule: "onecycle")
        recipe.data = loaded.spec.description
        recipe.normalization = normalization
        let got = try cache.obtain(recipe, waiting: {
            note("waiting for another comparison that is training the same \(what) network")
        }) {
            var d = loaded.dataset
            if perClass > 0 { d.train = d.train.stratified(perClass: perClass, seed: data.splitSeed) }
            let stats: Normalization
            if let normalization {
                d.train.normalize(normalization)
                d.test.normalize(normalization)
                stats = normalization
            } else {
                stats = d.normalizeWithTrainingStatistics()
            }
            note("training the \(what) network on \(loaded.spec): \(d.train.count) images, \(trainingEpochs) epochs (cached for later comparisons)")
            let net = try Network(spec: spec, seed: data.splitSeed)
            let started = Date()
            let display = ProgressDisplay()
            _ = try Trainer.train(net, on: d.train, settings: TrainingSettings(
                epochs: trainingEpochs, batchSize: batch, optimizer: OptimizerSettings(learningRate: Float(lr)), schedule: .oneCycle, seed: data.splitSeed),
                progress: display.update)
            let accuracy = ClassificationMetrics(predictions: net.predict(d.test.pixels), labels: d.test.labels, classCount: d.classCount).accuracy
            note(String(format: "%@ network: %.2f%% test accuracy on its own classes (trained in %.1f s)", what, accuracy * 100, Date().timeIntervalSince(started)))
            return SavedModel(network: net, classNames: d.classNames, normalization: stats,
                              metadata: ["dataset": loaded.spec.description, "own_test_accuracy": "\(accuracy)"])
        }
        if !got.trained { note("using the cached \(what) network \(got.path)") }
        return (got.path, recipe.key)
    }
}
