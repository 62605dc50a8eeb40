// What every comparison shares (compare, transfer-curve): its options, turned into a
// ComparisonRequest; HarnessCore plans it (ComparisonPlan) and runs it (ComparisonRun with a
// launcher). This file parses, checks and prints progress; the workflow lives in Core.
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

    @Option(parsing: .unconditional, help: ArgumentHelp("Training images per target class (the small-target regime); 0 for all.", valueName: "K"))
    var targetPerClass: Int = 100

    @Option(parsing: .unconditional, help: ArgumentHelp("Evaluation images per target class; 0 for the whole test set.", valueName: "K"))
    var evalPerClass: Int = 0

    @Option(parsing: .unconditional, help: "Seeds per strategy (1, 2, …, N).")
    var seeds: Int = 3

    @OptionGroup var architecture: NetworkOptions
    /// How every strategy trains (strategies.json and trials change it per configuration).
    @OptionGroup var hyperparameters: HyperparameterOptions
    /// How the source network trains.
    @OptionGroup var sourceHyperparameters: SourceHyperparameterOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Training images per source class for the source network; 0 for all.", valueName: "K"))
    var sourcePerClass: Int = 0


    // Two cells side by side, threads split between them: a target task's small batches keep one
    // thread busier than two, and one cell's start-up (loading data, the plugin, the source
    // network) overlaps the other's training. Measured on 2 cores: 61 s vs 64 s for the default
    // comparison's 12 cells.
    @Option(name: .customLong("jobs"), parsing: .unconditional, help: "Cells run at once, each in its own worker process (default: 2 when 2 or more cores are free, else 1).")
    var requestedJobs: Int?
    /// --jobs, else two cells when the threads allow it.
    var jobs: Int { requestedJobs ?? min(2, threads) }

    @OptionGroup var threading: ThreadOptions
    var threads: Int { threading.threads }

    @Flag(help: ArgumentHelp("Bind each cell's worker to cores of its own (when --jobs x threads fit the cores this process may use). "
                             + "Off by default: on a shared machine it keeps a worker on a core another process is using."))
    var bindCores = false

    @Option(help: ArgumentHelp("Outputs of frozen prefixes (the first layers a strategy freezes): on (computed once per image and kept on disk "
                               + "for other cells, trials and comparisons), memory (once per training run) or off (every epoch runs every layer). "
                               + "Numbers are the same either way.", valueName: "on|memory|off"))
    var prefixCache: PrefixFeatureCache.Mode = .on

    @Option(parsing: .unconditional, help: ArgumentHelp("Disk space the prefix cache may fill, in GiB; the least recently used entries leave first.", valueName: "GiB"))
    var prefixCacheGib: Double = 20

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds before a cell is killed as hung.", valueName: "seconds"))
    var timeout: Double = 1800

    @Option(help: ArgumentHelp("The results database (SQLite).", valueName: "file"))
    var db: String = ResultsDatabase.defaultPath

    @Option(help: ArgumentHelp("Take options from a JSON file of {\"long-option\": value} pairs (true for a flag, a list for comma-separated values); "
                               + "options on the command line override it, and its contents are recorded with the comparison (harness runs --format json).",
                               valueName: "file"), completion: .file(extensions: ["json"]))
    var runFile: String?

    @Flag(help: "Run again the cells that failed before (a finished cell is otherwise never rerun).")
    var retryFailed = false

    @Option(help: ArgumentHelp("Keep the network behind each cell's predictions as a harness model (spec, weights, class names, normalisation), "
                               + "DIR/<comparison id>/<strategy>-seed<N>[-trial<T>].harness.safetensors, for harness eval and PyTorch; "
                               + "strategies that classify without one network (svm-codes) keep none and say why.", valueName: "dir"))
    var saveModels: String?

    @Option(help: ArgumentHelp("Validation images held out of each target class's training images, for choosing between trials: "
                               + "K images per class, a fraction (0.2) or a percentage (20%); 0 for none.", valueName: "K|fraction"))
    var validationPerClass: ValidationSplit = ValidationSplit("20%")!

    @Option(parsing: .unconditional, help: ArgumentHelp("Trials per strategy: trial 0 is its default configuration, the others draw from the search spaces "
                               + "in strategies.json. Per seed, the trial with the best validation accuracy is reported.", valueName: "T"))
    var trials: Int = 1

    @Option(help: ArgumentHelp("How trials explore the spaces: \(SearchMethod.allCases.map(\.rawValue).joined(separator: " or ")).", valueName: "method"))
    var search: SearchMethod = .random

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop starting cells after this many minutes (fewer trials are run, trial 0 first); running cells finish.", valueName: "minutes"))
    var budget: Double?

    @Flag(help: "After selection, retrain each selected configuration on training + validation images and report that model's test accuracy.")
    var refit = false

    @Flag(help: "Every training run keeps the weights of its epoch with the best accuracy on the validation images.")
    var earlyStopping = false

    @Option(parsing: .unconditional, help: ArgumentHelp("A domain-shift scenario (the same classes on both sides, e.g. --target fashion-mnist@rotate:90): keep the labels of "
                               + "only K training images per target class and show the others unlabelled, for adaptation strategies "
                               + "(source-only, mmd, coral, dann); 0 is unsupervised adaptation.", valueName: "K"))
    var targetLabels: Int?

    @OptionGroup var plugins: PluginOptions

    @Option(help: ArgumentHelp("Where cells run: local (worker processes here) or slurm (source networks in a first job, cells as a job array; "
                               + "the harness binary, --run-dir, the network cache and the data must be on a file system every node sees).",
                               valueName: "local|slurm"))
    var launcher: LauncherKind = .local

    @Option(help: ArgumentHelp("Options for every sbatch, e.g. \"--partition=cpu --time=1:00:00 --mem=8G --account=lab\".", valueName: "options"))
    var slurmArgs: String = ""

    @Option(parsing: .unconditional, help: "Cells per Slurm array task (scheduling costs about a second per batch of tasks).")
    var cellsPerTask: Int = 4

    @Option(help: ArgumentHelp("Where Slurm runs keep their plan, job scripts, logs and result files (shared by every node).", valueName: "dir"))
    var runDir: String = "results/slurm"

    @Flag(help: "With --launcher slurm: submit and return; harness status and harness collect follow the run.")
    var noWait = false

    /// Checks of the options' own forms and of where cells run. The rules that tie a
    /// comparison's choices together are `ComparisonRequest.validate()`'s, in Core, so every
    /// front end shares them; `request()` runs them with these flags' names.
    func validate() throws {
        if let requestedJobs, requestedJobs < 1 { throw ValidationError("--jobs must be at least 1") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds, not \(timeout)") }
        for (flag, k) in [("--target-per-class", targetPerClass), ("--eval-per-class", evalPerClass), ("--source-per-class", sourcePerClass)] where k < 0 {
            throw ValidationError("\(flag) must be 0 (all images) or more, not \(k)")
        }
        guard (sourceClasses == nil) == (targetClasses == nil) else {
            throw ValidationError("--source-classes and --target-classes go together")
        }
        if transfer.target != nil && (sourceClasses != nil || data.data != nil) {
            throw ValidationError("--target names the target data; --data, --source-classes and --target-classes are the shorthand for one data set split in two, not both")
        }
        guard prefixCacheGib > 0, prefixCacheGib.isFinite else { throw ValidationError("--prefix-cache-gib must be a positive number of GiB") }
        if let budget, budget <= 0 { throw ValidationError("--budget must be a positive number of minutes") }
        if launcher == .local && (noWait || !slurmArgs.isEmpty) { throw ValidationError("--no-wait and --slurm-args go with --launcher slurm") }
        if launcher == .slurm && bindCores {
            throw ValidationError("--bind-cores binds local workers; on Slurm, ask the scheduler to bind tasks (e.g. --slurm-args \"--cpu-bind=cores\")")
        }
        if launcher == .slurm && budget != nil {
            throw ValidationError("--budget stops starting cells here; on Slurm give the jobs a time limit instead: --slurm-args \"--time=...\"")
        }
        guard cellsPerTask >= 1 else { throw ValidationError("--cells-per-task must be at least 1") }
        if noWait && refit {
            throw ValidationError("--refit retrains what selection chose among finished trials, and --no-wait returns before they finish; "
                                  + "submit with --no-wait, then run the same command with --refit and without --no-wait")
        }
    }

    /// The flag a request's field comes from.
    static func flag(_ field: ComparisonRequest.Field) -> String {
        switch field {
        case .validation: return "--validation-per-class"
        case .inputShape: return "--input"
        default: return "--" + field.rawValue.replacingOccurrences(of: "_", with: "-")
        }
    }

    /// The validation split, or nil for none.
    var validation: ValidationSplit? { validationPerClass.isEmpty ? nil : validationPerClass }

    /// The source and target: as given with --source/--target, or the shorthand's halves of one
    /// data set (--dataset/--data with --split or explicit classes).
    func dataPair() throws -> DataPair {
        if let target = transfer.target {
            guard transfer.source != nil || transfer.sourceModel != nil else {
                throw ValidationError("--target needs a source: --source SPEC (a network is trained on it) or --source-model FILE")
            }
            return DataPair(source: try transfer.sourceSpec?.resolved(), target: try DataSpec(target).resolved(), splitName: "specs")
        }
        let split: DataPair.Split
        if let s = sourceClasses, let t = targetClasses {
            split = .explicit(source: s, target: t)
        } else {
            split = data.splitChoice
        }
        var pair = try DataPair.splitting(try data.source, by: split, seed: data.splitSeed)
        if let given = try transfer.sourceSpec { pair.source = try given.resolved() }
        if transfer.sourceModel != nil && transfer.source == nil { pair.source = nil }
        return pair
    }

    /// The comparison these options ask for.
    func request() throws -> ComparisonRequest {
        var r = ComparisonRequest(data: try dataPair())
        r.sourceModel = transfer.sourceModel
        r.inputShape = transfer.inputShape
        r.skipUndecodable = transfer.skipUndecodable
        r.network = architecture.choice
        r.targetPerClass = targetPerClass > 0 ? targetPerClass : nil
        r.evalPerClass = evalPerClass > 0 ? evalPerClass : nil
        r.sourcePerClass = sourcePerClass > 0 ? sourcePerClass : nil
        r.seeds = seeds
        r.training = try hyperparameters.hyperparameters(over: .comparisonDefaults)
        r.sourceTraining = try sourceHyperparameters.hyperparameters
        r.splitSeed = data.splitSeed
        r.validation = validation
        r.trials = trials
        r.search = search
        r.refit = refit
        r.earlyStopping = earlyStopping
        r.targetLabels = targetLabels
        do { try r.validate() } catch { throw ValidationError(error.description(naming: Self.flag)) }
        return r
    }

    /// Plans and runs the comparison these options ask for, or `request` (the transfer curve's
    /// further splits), skipping cells already stored; returns its stored cells.
    func run(_ configured: [StrategyBinding], request given: ComparisonRequest? = nil) throws -> (ComparisonPlan, [StoredCell]) {
        EngineThreads.set(threads)
        let cacheSettings = PrefixFeatureCache.Settings(mode: prefixCache, diskBudget: Int(min(prefixCacheGib, 1e6) * 1_073_741_824))
        let plan = try ComparisonPlan.make(try given ?? request(), strategies: configured, threadsPerCell: max(1, threads / jobs),
                                           prefixCache: prefixCache == .off ? nil : cacheSettings,
                                           decoders: Installation.decoders, log: note)
        guard let executable = Installation.executablePath else { throw CLIError("cannot locate the harness binary to start workers") }
        let progress = CellProgress(jobs: launcher == .slurm ? 1 : jobs)
        let display = ProgressDisplay()
        var events = CellEvents(log: note, started: progress.started, finished: progress.finished, training: display.update)
        events.begin = progress.begin
        let perCell = max(1, threads / jobs)
        let chosen: Launcher = launcher == .slurm
            ? SlurmLauncher(executable: executable, runRoot: runDir, database: URL(fileURLWithPath: db).standardizedFileURL.path, cellsPerTask: cellsPerTask,
                            cpusPerTask: perCell, sourceThreads: threads, timeout: timeout, slurmArguments: slurmArgs.split(separator: " ").map(String.init),
                            wait: !noWait, parallelCells: jobs)
            : LocalLauncher(executable: executable, jobs: jobs, timeout: timeout, decoders: Installation.decoders, bindsCores: bindCores)
        var run = ComparisonRun(plan: plan, database: db, launcher: chosen, events: events)
        run.retryFailed = retryFailed
        run.budget = budget
        run.modelFolder = saveModels.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        run.provenance = Provenance.current(sourceRoot: Installation.sourceRoot)
        run.provenance?.runFile = RunFile.contents(runFile)
        let interruption = Interruption(database: db, setting: plan.setting.key, planned: plan.cells.count)
        defer { interruption.end() }
        return (plan, try run.execute())
    }
}

/// Where cells run.
enum LauncherKind: String, ExpressibleByArgument, CaseIterable { case local, slurm }

extension SearchMethod: ExpressibleByArgument {}
extension PrefixFeatureCache.Mode: ExpressibleByArgument {}

extension ValidationSplit: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String {
        switch self {
        case let .perClass(k): return "\(k)"
        case let .fraction(f): return "\(ParameterRange.number(f * 100))%"
        }
    }
}
