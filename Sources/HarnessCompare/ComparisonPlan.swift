// A comparison as data: the source networks its cells start from and the cells themselves,
// made from a `ComparisonRequest` and the bound strategies. Planning loads the data (checking
// specs, classes and images before anything trains) but trains nothing, so a launcher decides
// where the networks train and where the cells run: here (`LocalLauncher`) or on a cluster
// (`SlurmLauncher`). A plan is Codable: a cluster's jobs read the one the coordinator wrote.
import Foundation
import HarnessData
import HarnessEngine
import StrategyHost

public struct ComparisonPlan: Codable, Sendable {
    public var setting: ComparisonSetting
    /// The networks the cells start from, one per role used.
    public var sources: [SourceNetwork]
    /// Every cell, trial-major (every strategy's trial 0 at every seed first, so a budget that
    /// ends early leaves a complete untuned comparison), each once.
    public var cells: [Cell]
    public var seeds: Int
    /// Refit the selected configurations after the search (`refitCells(after:)`).
    public var refit: Bool

    public func source(_ role: SourceRole) -> SourceNetwork? { sources.first { $0.role == role } }

    /// The refit cells of the configurations selected among `stored` (with --refit).
    public func refitCells(after stored: [StoredCell]) -> [Cell] {
        guard refit else { return [] }
        return TrialSelection(stored).choices.values
            .flatMap { $0.values.compactMap { $0.selected.map { TrialSelection.refitCell(of: $0.cell) } } }
            .sorted { ($0.configuration, $0.seed) < ($1.configuration, $1.seed) }
    }

    /// The source network's accuracy on its own classes' test images (Yosinski's baseA), as
    /// recorded when it was trained (nil for a --source-model without the record).
    public var sourceAccuracy: Double? {
        guard let path = source(.base)?.path, let saved = try? SavedModel.read(from: path) else { return nil }
        return saved.metadata["own_test_accuracy"].flatMap(Double.init)
    }

    /// Loads what the request names (and fails on bad specs, classes or images now), works out
    /// the source networks (cache entries by recipe) and the cells of every strategy, trial and
    /// seed. `threadsPerCell` is what each cell's worker may use and `prefixCache` where it keeps
    /// frozen prefixes' outputs (neither is part of any key).
    public static func make(_ request: ComparisonRequest, strategies: [StrategyBinding], threadsPerCell: Int,
                            prefixCache: PrefixFeatureCache.Settings? = PrefixFeatureCache.Settings(),
                            cache: NetworkCache = NetworkCache(), decoders: DecoderProcesses? = nil,
                            log: (String) -> Void = { _ in }) throws -> ComparisonPlan {
        try request.validate()
        let r = request
        let target = r.data.target
        // A misspelt target class fails now, not after training a network.
        _ = try target.classes(in: try target.source.classNames())

        func loading(_ shape: InputShape?, perClass: Int?, testPerClass: Int? = nil, framing: Framing = .stretch) -> LoadingOptions {
            var options = LoadingOptions(shape: shape, skipUndecodable: r.skipUndecodable, decoders: decoders)
            options.framing = framing
            options.trainPerClass = perClass
            options.testPerClass = testPerClass
            options.samplingSeed = r.splitSeed
            return options
        }
        // The source network decides the input shape and the normalisation; the target is loaded
        // at that shape before any training, so an undecodable image also fails early.
        var model: SourceModel?
        var sourceData: LoadedData?
        let shape: InputShape
        // A source model carries the framing its images need (ImageNet's centre crop for an
        // imported backbone); a network trained here takes stretched images.
        var framing = Framing.stretch
        if let file = r.sourceModel {
            model = try SourceModel(path: file)
            shape = model!.saved.inputShape
            framing = model!.saved.framing
        } else {
            guard let spec = r.data.source else { throw ComparisonError("a comparison needs a source: source data (a network is trained on it) or a source model") }
            sourceData = try spec.load(loading(r.inputShape, perClass: r.sourcePerClass), seed: r.splitSeed)
            shape = InputShape(sourceData!.dataset.train)
        }
        // The images the self-transfer network trains on (as baseB: the target's budget, drawn by
        // the split seed); the cells draw their own.
        let targetData = try target.load(loading(shape, perClass: r.targetPerClass, testPerClass: r.evalPerClass, framing: framing), seed: 0)
        guard targetData.dataset.classCount >= 2 else {
            throw ComparisonError("the target \(target) has \(targetData.dataset.classCount) class; a task needs two or more")
        }
        // No row from nothing: a class without test images would be scored on none of them, and
        // one without training images could not be learnt.
        var perClass: [String: [Int]] = [:]
        for (set, role, help) in [(targetData.dataset.test, "test", "an image folder holds out a fifth of each class for testing (at least 3 images per class "
                                   + "give one), or give DIR/train and DIR/test"), (targetData.dataset.train, "training", "add images to those classes")] {
            let counts = (0..<targetData.dataset.classCount).map { c in set.labels.lazy.filter { $0 == c }.count }
            perClass[role] = counts
            let empty = zip(targetData.dataset.classNames, counts).filter { $0.1 == 0 }.map(\.0)
            guard empty.isEmpty else {
                throw ComparisonError("the target \(target) has no \(role) images for \(empty.joined(separator: ", ")) "
                                      + "(\(role) images per class: \(zip(targetData.dataset.classNames, counts).map { "\($0) \($1)" }.joined(separator: ", "))). help: \(help)")
            }
        }
        // Fewer images than asked for is what ran, and the captions say so; the classes are named.
        for (role, wanted) in [("training", r.targetPerClass), ("test", r.evalPerClass)] {
            guard let wanted, let counts = perClass[role] else { continue }
            let short = zip(targetData.dataset.classNames, counts).filter { $0.1 < wanted }
            if !short.isEmpty {
                log("warning: \(wanted) \(role) images per class were asked for, but \(short.map { "\($0.0) has \($0.1)" }.joined(separator: ", ")); "
                    + "those classes use what they have")
            }
        }
        let imageCounts = ImageCounts(train: perClass["training"] ?? [], test: perClass["test"] ?? [])
        if r.targetLabels != nil {
            // A domain shift keeps the classes: checked before any network is trained.
            let names = (sourceData?.dataset.classNames ?? [], targetData.dataset.classNames)
            guard names.0 == names.1 else {
                throw ComparisonError("--target-labels needs the same classes on both sides (a domain shift), but the source has "
                                      + "\(names.0.joined(separator: ", ")) and the target \(names.1.joined(separator: ", ")). "
                                      + "help: --source DATA --target DATA@TRANSFORM, e.g. --source fashion-mnist --target fashion-mnist@rotate:90")
            }
        }
        if let report = sourceData?.report { log("source \(r.data.source!): \(report.summary)") }
        if let report = targetData.report { log("target \(target): \(report.summary)") }
        for note in (sourceData?.notes ?? []) + targetData.notes { log("note: \(note)") }

        // The source network: the user's file, or a cache entry trained on the source data.
        var sources: [SourceNetwork] = []
        let base: SourceNetwork, baseSpec: NetworkSpec, sourceClasses: [Int], storedNormalization: Normalization?
        if let model {
            base = SourceNetwork(role: .base, path: URL(fileURLWithPath: model.path).standardizedFileURL.path, key: "model \(model.contentHash)", training: nil)
            baseSpec = model.saved.network.spec
            sourceClasses = []
            storedNormalization = model.saved.normalization.flatMap { $0.mean.count == shape.channels ? $0 : nil }
            log("source network \(model.label): \(model.saved.network.units.count) transfer units, input \(shape), "
                + "\(model.saved.classNames.count) classes")
        } else {
            let loaded = sourceData!
            sourceClasses = loaded.classes
            baseSpec = try r.network.spec(classes: loaded.dataset.classCount, shape: shape)
            base = trained(.base, on: loaded, spec: baseSpec, perClass: r.sourcePerClass, training: r.sourceTraining, normalization: nil,
                           loading: loading(r.inputShape, perClass: r.sourcePerClass), transformSeed: r.splitSeed, request: r, cache: cache)
            // The statistics the source network normalises with: its training images' (the same
            // computation as its training's, so a plan needs no trained network).
            if base.exists {
                storedNormalization = try SavedModel.read(from: base.path).normalization
            } else {
                var train = loaded.dataset.train
                if let k = r.sourcePerClass { train = train.stratified(perClass: k, seed: r.splitSeed) }
                storedNormalization = train.channelStatistics()
            }
        }
        sources.append(base)
        let storedOrigin = model == nil ? "the source network's training images" : "stored with the source network"
        let (normalization, origin): (Normalization, String) = storedNormalization.map { ($0, storedOrigin) }
            ?? (targetData.dataset.train.channelStatistics(), "the target's training images: the source network stores none")

        var setting = ComparisonSetting(
            data: try target.source, datasetName: targetData.dataset.name, datasetFingerprint: targetData.dataset.fingerprint,
            splitName: r.data.splitName, sourceClasses: sourceClasses, targetClasses: targetData.classes, targetPerClass: r.targetPerClass,
            evalPerClass: r.evalPerClass, training: r.training)
        setting.targetClassNames = targetData.dataset.classNames
        setting.source = r.data.source
        setting.target = target
        setting.sourceModel = model?.label
        setting.inputShape = shape
        setting.imageCounts = imageCounts
        setting.framing = framing == .stretch ? nil : framing
        setting.normalization = normalization
        setting.normalizationOrigin = origin
        setting.skipUndecodable = r.skipUndecodable ? true : nil
        setting.validation = r.validation
        setting.earlyStopping = r.earlyStopping ? true : nil
        if let k = r.targetLabels {
            setting.targetLabels = k
            setting.unlabelledOrder = "content"
            if k == 0 { setting.validation = nil }  // no labelled target image to hold out
            log("domain shift: \(k) labelled training images per target class, the rest unlabelled; the source's labelled images, "
                + "\(setting.targetPerClass.map { "\($0)" } ?? "all") per class, come with every task")
        }
        log("comparing \(strategies.count) strategies: \(setting.summary); "
            + imageCounts.trainingPhrase(asked: setting.targetPerClass) + ", \(r.seeds) seeds, \(r.training.changesSummary == "defaults" ? "default hyperparameters" : r.training.changesSummary)")

        if strategies.contains(where: { $0.configuration.source == .self }) {
            sources.append(trained(.self, on: targetData, spec: baseSpec.withClasses(targetData.dataset.classCount), perClass: r.targetPerClass,
                                   training: r.training, normalization: normalization,
                                   loading: loading(shape, perClass: r.targetPerClass, testPerClass: r.evalPerClass, framing: framing), transformSeed: 0,
                                   request: r, cache: cache))
        }

        // Cells: trial-major, each key once.
        let trialsOf = try strategies.map { try $0.trials(r.trials, defaults: r.training, method: r.search) }
        if r.trials > 1, let flat = zip(strategies, trialsOf).first(where: { $0.1.count == 1 && $0.0.configuration.searches.isEmpty }) {
            log("\(flat.0.configuration.name) declares no search space in strategies.json, so it runs its one configuration")
        }
        var cells: [Cell] = []
        var keys = Set<String>()
        for t in 0..<(trialsOf.map(\.count).max() ?? 1) {
            for (binding, trials) in zip(strategies, trialsOf) where t < trials.count {
                let s = sources.first { $0.role == binding.configuration.source }!
                for seed in 1...max(1, r.seeds) {
                    var cell = Cell(setting: setting, trial: trials[t], of: binding.configuration.searches, search: r.search, sourceNetwork: s.path,
                                    sourceKey: s.key, seed: UInt64(seed), threads: threadsPerCell)
                    cell.prefixCache = prefixCache
                    if keys.insert(cell.key).inserted { cells.append(cell) }
                }
            }
        }
        return ComparisonPlan(setting: setting, sources: sources, cells: cells, seeds: r.seeds, refit: r.refit)
    }

    /// A network trained here: the source network trains on the source data for the base
    /// epochs. The self-transfer network (Yosinski's baseB, which BnB copies from) trains as baseB
    /// does: on the target data, with as many images per class and as many epochs as the target
    /// task, and inputs normalised as the target task's, so the control sees no more target data
    /// than the strategies do and is as good as baseB.
    private static func trained(_ role: SourceRole, on loaded: LoadedData, spec: NetworkSpec, perClass: Int?, training: Hyperparameters, normalization: Normalization?,
                                loading: LoadingOptions, transformSeed: UInt64, request r: ComparisonRequest, cache: NetworkCache) -> SourceNetwork {
        var recipe = NetworkCache.Recipe(spec: spec, datasetFingerprint: loaded.dataset.fingerprint, classes: loaded.classes, seed: r.splitSeed,
                                         perClass: perClass, training: training)
        recipe.data = loaded.spec.description
        recipe.normalization = normalization
        let training = SourceNetwork.Training(recipe: recipe, cacheDirectory: cache.directory, data: loaded.spec, shape: loading.shape,
                                              skipUndecodable: loading.skipUndecodable, trainPerClass: loading.trainPerClass,
                                              testPerClass: loading.testPerClass, samplingSeed: loading.samplingSeed, transformSeed: transformSeed)
        return SourceNetwork(role: role, path: cache.path(for: recipe), key: recipe.key, training: training)
    }
}
