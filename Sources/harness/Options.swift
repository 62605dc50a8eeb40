// Options shared by the subcommands, with their checks.
import ArgumentParser
import Foundation
import HarnessCore

/// Which data set, and how its classes split into halves A and B.
struct DatasetOptions: ParsableArguments {
    @Option(help: "A known data set: fashion-mnist.")
    var dataset: String = "fashion-mnist"

    @Option(help: ArgumentHelp("A folder with the four IDX files (train-images, train-labels, t10k-images, t10k-labels, optionally .gz), or one sub-folder of images per class (JPEG, PNG, WebP, any size). Overrides --dataset; --target SPEC says more.", valueName: "dir"))
    var data: String?

    @Option(help: ArgumentHelp("How to split the classes into A and B: random (by --split-seed) or dissimilar (Fashion-MNIST garments vs. footwear and bags).", valueName: "split"))
    var split: String = "random"

    @Option(parsing: .unconditional, help: "Seed of the random A/B class split.")
    var splitSeed: UInt64 = 1

    func validate() throws {
        guard ["random", "dissimilar"].contains(split.lowercased()) else {
            throw ValidationError("--split takes random or dissimilar, not '\(split)'")
        }
        if data == nil { do { _ = try DataSource(named: dataset) } catch { throw ValidationError("\(error)") } }
    }

    var source: DataSource {
        get throws { try data.map { .directory($0) } ?? DataSource(named: dataset) }
    }

    /// The A/B split of this data set's classes.
    func classSplit(for dataset: Dataset) throws -> ClassSplit {
        try splitChoice.halves(classNames: dataset.classNames, seed: splitSeed)
    }

    /// --split as the comparison plan takes it.
    var splitChoice: DataPair.Split { split.lowercased() == "dissimilar" ? .dissimilar : .random }
}

/// A SPEC option's text as a DataSpec; a malformed one is a usage error with the caret message,
/// so it fails while arguments are checked, before any work.
func parsedSpec(_ text: String?) throws -> DataSpec? {
    do { return try text.map(DataSpec.init) } catch { throw ValidationError("\(error)") }
}

/// An --input option's text (CxHxW) as a shape; anything else is a usage error.
func parsedInputShape(_ text: String?, example: String) throws -> InputShape? {
    guard let text else { return nil }
    guard let shape = InputShape(text) else { throw ValidationError("--input takes CxHxW with 1 or 3 channels, e.g. \(example), not '\(text)'") }
    return shape
}

/// What to transfer between: data specs, a trained source network, and how images are loaded.
struct TransferOptions: ParsableArguments {
    static let specHelp = "A SPEC is DATA[:CLASSES][@TRANSFORM]...: DATA a known data set (fashion-mnist) or a folder (IDX files, or one "
        + "sub-folder of images per class, any format and size); CLASSES numbers, ranges or names (0-4, sandal,sneaker); TRANSFORM one of "
        + "\(DomainTransform.allowed), applied in order."

    @Option(help: ArgumentHelp("The source data a network is trained on, e.g. fashion-mnist:0-4. \(specHelp)", valueName: "spec"))
    var source: String?

    @Option(help: ArgumentHelp("The target data, e.g. fashion-mnist:5-9@rotate:90 or ./photos@gray. Replaces --data and --split.", valueName: "spec"))
    var target: String?

    @Option(help: ArgumentHelp("Transfer from this trained network (a harness model: harness train --out or harness import) instead of training one.", valueName: "file"))
    var sourceModel: String?

    @OptionGroup var images: ImageInputOptions

    func validate() throws {
        _ = try parsedSpec(source)
        _ = try parsedSpec(target)
    }

    var sourceSpec: DataSpec? { get throws { try parsedSpec(source) } }
    var inputShape: InputShape? { images.shape }
    var skipUndecodable: Bool { images.skipUndecodable }

    /// How to load a SPEC at `shape`, keeping `perClass` training images drawn by `seed` (nil: all).
    func loading(_ shape: InputShape?, perClass: Int? = nil, testPerClass: Int? = nil, seed: UInt64 = 0) -> LoadingOptions {
        var options = LoadingOptions(shape: shape, skipUndecodable: images.skipUndecodable, decoders: Installation.decoders)
        options.trainPerClass = perClass
        options.testPerClass = testPerClass
        options.samplingSeed = seed
        return options
    }
}

/// How images become a network's input, for commands that train one.
struct ImageInputOptions: ParsableArguments {
    @Option(name: .customLong("input"), help: ArgumentHelp("The input shape of a network trained here, e.g. 3x32x32; images are brought to it (default: the data's own, an image folder's first image's).", valueName: "CxHxW"))
    var inputText: String?

    @Flag(help: "Leave out image files that cannot be decoded (they are counted in the output) instead of stopping.")
    var skipUndecodable = false

    func validate() throws {
        _ = try parsedInputShape(inputText, example: "3x32x32")
    }

    var shape: InputShape? { inputText.flatMap(InputShape.init) }
}

/// Which data, which classes, how many images.
struct DataOptions: ParsableArguments {
    @OptionGroup var set: DatasetOptions

    @Option(help: ArgumentHelp("Classes to use: all, A or B (the two halves of the class split), or a list like 0,3,7.", valueName: "classes"))
    var classes: String = "all"

    @Option(parsing: .unconditional, help: ArgumentHelp("Use only K training images per class, drawn by --seed (the small-target regime).", valueName: "K"))
    var trainPerClass: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Use only K test images per class.", valueName: "K"))
    var testPerClass: Int?

    func validate() throws {
        do { _ = try ClassSelection(classes) } catch let e as ValidationError { throw e } catch { throw ValidationError("\(error)") }
        if let k = trainPerClass, k < 1 { throw ValidationError("--train-per-class must be at least 1") }
        if let k = testPerClass, k < 1 { throw ValidationError("--test-per-class must be at least 1") }
    }

    /// The chosen classes of a loaded data set.
    func chosenClasses(in dataset: Dataset) throws -> [Int] {
        try ClassSelection(classes).classes(in: dataset, split: try set.classSplit(for: dataset))
    }

    /// Loads (a SPEC when given, else --dataset/--data and --classes), brings the images to
    /// `shape` when given, and subsamples; not yet normalised.
    func loadUnnormalized(seed: UInt64, spec: DataSpec? = nil, shape: InputShape? = nil, framing: Framing = .stretch, skipUndecodable: Bool = false) throws -> Dataset {
        var dataset: Dataset
        if let spec {
            var options = LoadingOptions(shape: shape, skipUndecodable: skipUndecodable, decoders: Installation.decoders)
            options.framing = framing
            let loaded = try spec.load(options, seed: seed)
            if let r = loaded.report { note("\(spec): \(r.summary)") }
            for n in loaded.notes { note(n) }
            dataset = loaded.dataset
        } else {
            dataset = try set.source.load(seed: seed)
            let chosen = try chosenClasses(in: dataset)
            if chosen != Array(0..<dataset.classCount) { dataset = dataset.restricted(to: chosen) }
            if let shape {
                dataset.train = try dataset.train.brought(to: shape, name: dataset.name, framing: framing)
                dataset.test = try dataset.test.brought(to: shape, name: dataset.name, framing: framing)
            }
        }
        if let k = trainPerClass { dataset.train = dataset.train.stratified(perClass: k, seed: seed) }
        if let k = testPerClass { dataset.test = dataset.test.stratified(perClass: k, seed: seed) }
        return dataset
    }

    /// Loads, picks the classes, subsamples and normalises with training statistics.
    func load(seed: UInt64, spec: DataSpec? = nil, shape: InputShape? = nil, skipUndecodable: Bool = false) throws -> (Dataset, Normalization) {
        var dataset = try loadUnnormalized(seed: seed, spec: spec, shape: shape, skipUndecodable: skipUndecodable)
        let stats = dataset.normalizeWithTrainingStatistics()
        return (dataset, stats)
    }
}

/// Which network to train: a shipped architecture or a spec file.
struct NetworkOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The network: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")) (see harness networks), "
                               + "or a spec file ending in .json.", valueName: "name|file"))
    var network: String = Architecture.standard.rawValue

    func validate() throws {
        do { _ = try NetworkChoice(network) } catch { throw ValidationError("--network: \(error)") }
    }

    var choice: NetworkChoice { (try? NetworkChoice(network)) ?? .standard }
}

/// The training hyperparameters, declared once for every command that trains (train, compare,
/// transfer-curve): an option left out keeps the value of the one table of defaults
/// (`Hyperparameters.defaults`), and the options become one `Hyperparameters` value.
struct HyperparameterOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: help(.epochs, "compare: of each strategy over the target's training images"))
    var epochs: Int?

    @Option(name: .customLong("batch"), parsing: .unconditional, help: help(.batchSize))
    var batchSize: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp(help(.lr).abstract, valueName: "rate"))
    var lr: Double?

    @Option(parsing: .unconditional, help: help(.weightDecay))
    var weightDecay: Double?

    @Option(parsing: .unconditional, help: help(.momentum))
    var momentum: Double?

    @Option(parsing: .unconditional, help: help(.l1))
    var l1: Double?

    @Option(help: ArgumentHelp(help(.schedule).abstract, valueName: "schedule"))
    var schedule: LearningRateSchedule?

    @Option(help: ArgumentHelp("The \(Hyperparameter.batchNorm.help) (default: \(Hyperparameters.comparisonDefaults.batchNorm.rawValue) in compare and transfer-curve, "
                               + "\(Hyperparameters.defaults.batchNorm.rawValue) in train).", valueName: "mode"))
    var batchNorm: BatchNormStatistics?

    @Option(help: ArgumentHelp(help(.augment).abstract, valueName: "augmentation"))
    var augment: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("The \(Hyperparameter.minSteps.help) (default: \(Hyperparameters.comparisonDefaults.minSteps) in compare and transfer-curve, \(Hyperparameters.defaults.minSteps) in train).",
                               valueName: "steps"))
    var minSteps: Int?

    @Option(help: ArgumentHelp(help(.precision).abstract, valueName: "fp32|bf16"))
    var precision: Precision?

    /// The option's own flag, for messages.
    static func flag(_ name: Hyperparameter) -> String {
        name == .batchSize ? "--batch" : "--" + name.rawValue.replacingOccurrences(of: "_", with: "-")
    }

    static func help(_ name: Hyperparameter, _ more: String? = nil) -> ArgumentHelp {
        ArgumentHelp("The \(name.help)\(more.map { " (\($0))" } ?? "") (default: \(Hyperparameters.short(Hyperparameters.defaults[name]))).")
    }

    /// `base` with every option given.
    func applied(to base: Hyperparameters) -> Hyperparameters {
        var h = base
        if let epochs { h.epochs = epochs }
        if let batchSize { h.batchSize = batchSize }
        if let lr { h.learningRate = lr }
        if let weightDecay { h.weightDecay = weightDecay }
        if let momentum { h.momentum = momentum }
        if let l1 { h.l1 = l1 }
        if let schedule { h.schedule = schedule }
        if let batchNorm { h.batchNorm = batchNorm }
        if let augment, let a = Augmentation(augment) { h.augmentation = a }
        if let minSteps { h.minSteps = minSteps }
        if let precision { h.precision = precision }
        return h
    }

    /// The defaults with every option given, checked.
    var hyperparameters: Hyperparameters {
        get throws { try hyperparameters(over: .defaults) }
    }

    /// `base` (a command's own defaults) with every option given, checked.
    func hyperparameters(over base: Hyperparameters) throws -> Hyperparameters {
        try Self.checked(applied(to: base))
    }

    func validate() throws {
        if let augment, Augmentation(augment) == nil {
            throw ValidationError("--augment: '\(augment)' is not an augmentation; write none, flip, crop, crop:MIN (0 < MIN <= 1) or crop+flip")
        }
        // Refused before any work, not in every training run or cell's worker.
        do { try precision?.checkSupported() } catch { throw ValidationError("--precision: \(error)") }
        _ = try hyperparameters
    }

    /// A value's own check, as a usage error naming the option.
    static func checked(_ h: Hyperparameters, flag: (Hyperparameter) -> String = flag) throws -> Hyperparameters {
        do { return try h.validated() } catch {
            switch error {
            case let .outOfRange(name, _, _): throw ValidationError("\(flag(name)): \(error)")
            case .momentumUnderOneCycle: throw ValidationError("--momentum: \(error)")
            case .unknown: throw ValidationError("\(error)")
            }
        }
    }
}

/// How a comparison's source network trains: its own options, so the target's --lr never
/// retrains (or re-keys) the cached source network.
struct SourceHyperparameterOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Training epochs of the source network (trained once, then cached) (default: \(Hyperparameters.sourceDefaults.epochs)).")
    var baseEpochs: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("The source network's learning rate (default: \(Hyperparameters.sourceDefaults.learningRate)).", valueName: "rate"))
    var baseLr: Double?

    @Option(parsing: .unconditional, help: "The source network's images per minibatch (default: \(Hyperparameters.sourceDefaults.batchSize)).")
    var baseBatch: Int?

    var hyperparameters: Hyperparameters {
        get throws {
            var h = Hyperparameters.sourceDefaults
            if let baseEpochs { h.epochs = baseEpochs }
            if let baseLr { h.learningRate = baseLr }
            if let baseBatch { h.batchSize = baseBatch }
            return try HyperparameterOptions.checked(h) { name in
                switch name {
                case .epochs: return "--base-epochs"
                case .lr: return "--base-lr"
                case .batchSize: return "--base-batch"
                default: return HyperparameterOptions.flag(name)
                }
            }
        }
    }

    func validate() throws { _ = try hyperparameters }
}

extension LearningRateSchedule: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}

extension BatchNormStatistics: ExpressibleByArgument {}

/// How `harness train` trains: the hyperparameters, the initialiser and the seed.
struct TrainingOptions: ParsableArguments {
    @OptionGroup var hyperparameterOptions: HyperparameterOptions

    @Option(help: ArgumentHelp("Weight initialiser: he, xavier, gaussian:SIGMA or constant:VALUE.", valueName: "init"))
    var initializer: String = "xavier"

    @Option(parsing: .unconditional, help: "Seed for initialisation, data order, dropout and subsampling.")
    var seed: UInt64 = 1

    func validate() throws {
        guard Initializer(initializer) != nil else {
            throw ValidationError("--initializer takes he, xavier, gaussian:SIGMA or constant:VALUE, not '\(initializer)'")
        }
    }

    var hyperparameters: Hyperparameters { get throws { try hyperparameterOptions.hyperparameters } }
}

/// --threads, declared once for every command that computes: the compute kernels' threads in
/// all (compare divides them among its --jobs; bench gives each side this many).
struct ThreadOptions: ParsableArguments {
    @Option(name: .customLong("threads"), parsing: .unconditional,
            help: "Threads for the compute kernels, in all (compare divides them among --jobs; bench gives each side as many); default: the cores this process may use (its affinity mask, under a cgroup CPU quota) that other processes leave free.")
    var requested: Int?

    func validate() throws {
        if let requested, requested < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// The threads to use: --threads, else the free cores (the machine sampled once); a busy
    /// machine is said, and more threads than free cores wait passively in child processes.
    var threads: Int {
        let plan = MachineLoad.plan(requested: requested)
        if let note = plan.note { ThreadOptions.sayOnce(note) }
        if plan.passive { MachineLoad.preferPassiveWaitingInChildren() }
        return plan.threads
    }

    /// Options are read on the main thread before any work starts.
    nonisolated(unsafe) private static var said = false
    private static func sayOnce(_ text: String) {
        guard !said else { return }
        said = true
        FileHandle.standardError.write(Data(("note: " + text + "\n").utf8))
    }

    func apply() { EngineThreads.set(threads) }
}

/// How to run and what to print.
struct RunOptions: ParsableArguments {
    @OptionGroup var threading: ThreadOptions

    @Flag(help: "Print one JSON object with the results as the last line of standard output.")
    var json = false

    func apply() { threading.apply() }
}

/// A failure to report in one line, with a non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Precision: ExpressibleByArgument {}
