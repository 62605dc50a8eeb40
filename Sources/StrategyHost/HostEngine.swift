// The engine the host lends to a strategy: the harness_engine table of C functions, each a thin
// door onto Network and Trainer. harness_host* is a HostSession (one per strategy run) and
// harness_network* a Network, both passed as unmanaged object pointers; the session keeps
// every network a strategy creates alive until the strategy releases it or the run ends.
import CStrategyAPI
import Foundation
import HarnessData
import HarnessEngine

final class HostSession {
    /// Networks created for the strategy, by address.
    private var owned: [OpaquePointer: Network] = [:]
    /// Networks lent to the strategy (the source); never released by it.
    private var lent: Set<OpaquePointer> = []
    private var error: UnsafeMutablePointer<CChar>?
    private var names: [UnsafeMutablePointer<CChar>] = []
    let log: (String) -> Void
    let progress: ((TrainingProgress) -> Void)?
    /// Sees every network the strategy trains, after training (tests, telemetry).
    let trained: ((Network, TrainingReport) -> Void)?
    /// The task the strategy runs, host side: its training settings are what an ABI 2 request's
    /// zeros stand for; its rate and the rate's origin name the cause of a divergence; its
    /// early-stopping images and batch-normalisation policy apply to every training run.
    let task: TransferTask
    /// The task's unlabelled target images as the strategy was shown them, which adaptation loss
    /// terms train against.
    let unlabelled: ImageSet?
    /// Frozen prefixes' outputs (nil: not cached), and the lent sets it can key, by their pixels.
    var prefixCache: PrefixFeatureCache?
    /// With the model asked for: the lent evaluation images, and the network that last predicted
    /// all of them with what it predicted, as long as it stays unchanged (`changed`).
    var evaluationImages: (pixels: UnsafeMutablePointer<Float>, count: Int)?
    private(set) var evaluationPredictor: (network: Network, predictions: [Int32])?
    private var identities: [UnsafeMutablePointer<Float>: (count: Int, identity: PrefixFeatureCache.Identity)] = [:]

    init(log: @escaping (String) -> Void, progress: ((TrainingProgress) -> Void)?, trained: ((Network, TrainingReport) -> Void)?,
         task: TransferTask, unlabelled: ImageSet?) {
        self.log = log
        self.progress = progress
        self.trained = trained
        self.task = task
        self.unlabelled = unlabelled
    }

    deinit {
        free(error)
        names.forEach { free($0) }
    }

    func identify(_ lent: LentImages, _ identity: PrefixFeatureCache.Identity) {
        identities[lent.pixels.baseAddress!] = (lent.count, identity)
    }

    /// The identity of images a strategy passed, when they are a whole lent set (a subset or a
    /// copy has none, and is not cached across calls).
    func identity(of images: UnsafePointer<harness_images>?) -> PrefixFeatureCache.Identity? {
        guard let raw = images?.pointee, let pixels = raw.pixels, let known = identities[UnsafeMutablePointer(mutating: pixels)],
              known.count == Int(raw.count) else { return nil }
        return known.identity
    }

    var pointer: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ host: OpaquePointer?) -> HostSession {
        Unmanaged<HostSession>.fromOpaque(UnsafeRawPointer(host!)).takeUnretainedValue()
    }

    func lend(_ network: Network) -> OpaquePointer {
        let p = OpaquePointer(Unmanaged.passUnretained(network).toOpaque())
        lent.insert(p)
        return p
    }

    func adopt(_ network: Network) -> OpaquePointer {
        let p = OpaquePointer(Unmanaged.passUnretained(network).toOpaque())
        owned[p] = network
        return p
    }

    func release(_ p: OpaquePointer?) { if let p { owned[p] = nil } }

    /// Records a predict call: one on the whole evaluation set names the network that may be
    /// the strategy's model (kept alive here even if the strategy releases it).
    func predicted(_ network: Network, images: UnsafePointer<harness_images>?, _ out: UnsafeMutablePointer<Int32>) {
        guard let e = evaluationImages, let raw = images?.pointee, raw.pixels == UnsafePointer(e.pixels), Int(raw.count) == e.count else { return }
        evaluationPredictor = (network, Array(UnsafeBufferPointer(start: out, count: e.count)))
    }

    /// A network's weights changed (trained, copied into, reinitialised): what it predicted
    /// before is no longer what it would predict.
    func changed(_ network: Network) {
        if evaluationPredictor?.network === network { evaluationPredictor = nil }
    }

    /// The network behind a pointer, if it is one this session handed out.
    func network(_ p: OpaquePointer?) throws -> Network {
        guard let p, owned[p] != nil || lent.contains(p) else { throw StrategyRunError.badHandle }
        return Unmanaged<Network>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }

    var lastError: UnsafePointer<CChar>? { UnsafePointer(error) }
    var lastErrorText: String? { error.map { String(cString: $0) } }

    func setError(_ message: String) {
        free(error)
        error = strdup(message)
    }

    func keep(_ s: String) -> UnsafePointer<CChar> {
        let c = strdup(s)!
        names.append(c)
        return UnsafePointer(c)
    }

    /// Runs an engine call: 0 on success, 1 with the error recorded on failure.
    func attempt(_ body: () throws -> Void) -> Int32 {
        do {
            try body()
            return 0
        } catch {
            setError("\(error)")
            return 1
        }
    }
}

enum StrategyRunError: Error, CustomStringConvertible {
    case badHandle

    var description: String {
        switch self {
        case .badHandle: return "a network handle that this run did not hand out"
        }
    }
}

extension ImageSet {
    /// The most images one engine call takes: far beyond any data set the host hands out, and
    /// small enough that no size computed from it overflows.
    static let maximumCallImages = 1 << 26

    /// Images a strategy passed to `call` (normally the host's own buffers), checked before a
    /// byte is read: present, of `network`'s input shape, sizes that fit. The pixels are read in
    /// place (borrowed), so the set must not outlive the call.
    init(_ given: UnsafePointer<harness_images>?, for network: Network, call: String) throws {
        guard let raw = given?.pointee else { throw EngineError.badArgument(call: call, reason: "the images are NULL") }
        let shape = [Int(raw.channels), Int(raw.height), Int(raw.width)], expected = [network.spec.channels, network.spec.height, network.spec.width]
        guard shape == expected else {
            throw EngineError.badArgument(call: call, reason: "the images are \(shape.map(String.init).joined(separator: "x")) but the network takes "
                                          + "\(expected.map(String.init).joined(separator: "x")); pass task images, or images of the network's input shape")
        }
        guard raw.count >= 0, raw.count <= ImageSet.maximumCallImages else {
            throw EngineError.badArgument(call: call, reason: "an image count of \(raw.count) (0 to \(ImageSet.maximumCallImages) per call)")
        }
        guard raw.pixels != nil || raw.count == 0 else { throw EngineError.badArgument(call: call, reason: "\(raw.count) images but no pixels (NULL)") }
        let n = Int(raw.count), size = network.imageSize
        // 2^31 floats (8 GiB) is far beyond any task the host hands out; more is a count made up.
        guard n.multipliedReportingOverflow(by: size).partialValue <= 1 << 31 else {
            throw EngineError.badArgument(call: call, reason: "\(n) images of \(size) floats each exceed the 2^31 floats one call takes")
        }
        let labels = raw.labels.map { l in (0..<n).map { Int(l[$0]) } } ?? [Int](repeating: 0, count: n)
        guard n > 0, let start = raw.pixels else {
            self.init(channels: shape[0], height: shape[1], width: shape[2], pixels: [], labels: labels)
            return
        }
        self.init(channels: shape[0], height: shape[1], width: shape[2], borrowing: UnsafeBufferPointer(start: start, count: n * size), labels: labels)
    }
}

/// A C string argument, or an error naming the call and the argument.
func cString(_ p: UnsafePointer<CChar>?, _ call: String, _ what: String) throws -> String {
    guard let p else { throw EngineError.badArgument(call: call, reason: "the \(what) is NULL") }
    return String(cString: p)
}

enum HostEngine {
    /// The table every strategy run receives; its functions find their session through `host`.
    nonisolated(unsafe) static let table: UnsafeMutablePointer<harness_engine> = {
        let t = UnsafeMutablePointer<harness_engine>.allocate(capacity: 1)
        t.initialize(to: harness_engine(
            abi_version: UInt32(HARNESS_STRATEGY_ABI_VERSION),
            struct_size: UInt32(MemoryLayout<harness_engine>.size),
            new_network: newNetwork, release_network: releaseNetwork,
            layer_count: layerCount, layer_name: layerName,
            copy_layer: copyLayer, reinitialize: reinitialize, set_learning_rate_multiplier: setMultiplier,
            train: train, features: features, predict: predict,
            log: log, last_error: lastError, set_error: setError, new_linear: newLinear,
            set_parameter_learning_rate_multiplier: setKindMultiplier))
        return t
    }()

    private static let newNetwork: @convention(c) (OpaquePointer?, OpaquePointer?, Int32, UInt64) -> OpaquePointer? = { host, like, classes, seed in
        let s = HostSession.from(host)
        var made: OpaquePointer?
        _ = s.attempt {
            let base = try s.network(like)
            guard classes >= 2 else { throw EngineError.badArgument(call: "new_network", reason: "a classifier needs at least 2 classes, not \(classes)") }
            made = s.adopt(try Network(spec: base.spec.withClasses(Int(classes)), seed: seed))
        }
        return made
    }

    /// Feature vectors beyond this width are not codes of a network the engine runs.
    static let maximumLinearWidth = 1 << 24

    private static let newLinear: @convention(c) (OpaquePointer?, Int32, Int32, UInt64) -> OpaquePointer? = { host, width, classes, seed in
        let s = HostSession.from(host)
        var made: OpaquePointer?
        _ = s.attempt {
            guard classes >= 2 else { throw EngineError.badArgument(call: "new_linear", reason: "a classifier needs at least 2 classes, not \(classes)") }
            guard width >= 1, Int(width) <= maximumLinearWidth else {
                throw EngineError.badArgument(call: "new_linear", reason: "width must be 1 to \(maximumLinearWidth) features, not \(width)")
            }
            let spec = NetworkSpec(channels: Int(width), height: 1, width: 1, layers: [.fc("fc", Int(classes))])
            made = s.adopt(try Network(spec: spec, seed: seed))
        }
        return made
    }

    private static let releaseNetwork: @convention(c) (OpaquePointer?, OpaquePointer?) -> Void = { host, network in
        HostSession.from(host).release(network)
    }

    private static let layerCount: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32 = { host, network in
        let s = HostSession.from(host)
        return (try? s.network(network)).map { Int32($0.units.count) } ?? 0
    }

    private static let layerName: @convention(c) (OpaquePointer?, OpaquePointer?, Int32) -> UnsafePointer<CChar>? = { host, network, index in
        let s = HostSession.from(host)
        guard let names = try? s.network(network).units, index >= 0, Int(index) < names.count else { return nil }
        return s.keep(names[Int(index)])
    }

    private static let copyLayer: @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?) -> Int32 = { host, to, from, layer in
        let s = HostSession.from(host)
        return s.attempt {
            let target = try s.network(to)
            s.changed(target)
            try target.copyLayers([try cString(layer, "copy_layer", "layer name")], from: try s.network(from))
        }
    }

    private static let reinitialize: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UInt64) -> Int32 = { host, network, layer, initializer, seed in
        let s = HostSession.from(host)
        return s.attempt {
            let text = try cString(initializer, "reinitialize", "initializer")
            guard let i = Initializer(text) else {
                throw EngineError.badArgument(call: "reinitialize", reason: "unknown initializer '\(text)' (use xavier, he, gaussian:SIGMA or constant:VALUE)")
            }
            let net = try s.network(network)
            s.changed(net)
            try net.reinitialize(layer: try cString(layer, "reinitialize", "layer name"), with: i, seed: seed)
        }
    }

    private static let setMultiplier: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, Double) -> Int32 = { host, network, layer, m in
        let s = HostSession.from(host)
        return s.attempt {
            guard m >= 0, m.isFinite else { throw EngineError.badArgument(call: "set_learning_rate_multiplier", reason: "a learning-rate multiplier must be a finite number >= 0, not \(m)") }
            try s.network(network).setLearningRateMultiplier(Float(m), layers: [try cString(layer, "set_learning_rate_multiplier", "layer name")])
        }
    }

    private static let setKindMultiplier: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Double) -> Int32 = { host, network, layer, kind, m in
        let s = HostSession.from(host)
        return s.attempt {
            let call = "set_parameter_learning_rate_multiplier"
            guard m >= 0, m.isFinite else { throw EngineError.badArgument(call: call, reason: "a learning-rate multiplier must be a finite number >= 0, not \(m)") }
            let text = try cString(kind, call, "kind")
            guard let k = Network.ParameterKind(rawValue: text) else {
                throw EngineError.badArgument(call: call, reason: "unknown parameter kind '\(text)' (kinds: \(Network.ParameterKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            try s.network(network).setLearningRateMultiplier(Float(m), kind: k, layers: [try cString(layer, call, "layer name")])
        }
    }

    private static let train: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<harness_images>?, UnsafePointer<harness_training>?) -> Int32 = { host, network, data, settings in
        let s = HostSession.from(host)
        return s.attempt {
            let net = try s.network(network)
            guard let t = settings?.pointee else { throw EngineError.badArgument(call: "train", reason: "the training settings are NULL") }
            guard data?.pointee.labels != nil else { throw EngineError.badArgument(call: "train", reason: "the images have no labels (NULL); train on task->train") }
            let request = try TrainingRequest(t, session: s, network: net)
            s.changed(net)
            let h = request.hyperparameters, penalties = request.penalties, adaptation = request.adaptation
            do {
                let keeper = s.task.earlyStopping.map(BestEpoch.init)
                let images = try ImageSet(data, for: net, call: "train")
                net.prepareStatistics(h.batchNorm)
                var report = try Trainer.train(net, on: images, hyperparameters: h, seed: request.seed, penalties: penalties, adaptation: adaptation,
                                               prefixCache: s.prefixCache, identity: s.identity(of: data), progress: s.progress,
                                               evaluate: keeper.map { k in { epoch in k.epochEnded(net, epoch: epoch) } })
                if let keeper {
                    keeper.restore(net)
                    report.keptEpoch = keeper.epoch
                    s.log(String(format: "early stopping: kept epoch %d of %d (validation accuracy %.2f%%)", keeper.epoch, report.epochs.count, keeper.accuracy * 100))
                }
                if h.batchNorm == .adabn {
                    let n = net.reestimateStatistics(on: images, batch: h.batchSize)
                    if n > 0 { s.log("adabn: re-estimated the running statistics of \(n) batch normalisation layers on \(images.count) training images") }
                }
                s.trained?(net, report)
            } catch let TrainingError.diverged(epoch, step, _) {
                throw TrainingError.diverged(epoch: epoch, step: step, help: request.rateChosenByStrategy
                    ? "the strategy chose learning rate \(h.learningRate) (the comparison's is \(s.task.training.learningRate)); lower the rate in its parameters"
                    : "lower \(s.task.rateOrigin)")
            }
        }
    }

    private static let features: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<harness_images>?,
                                                 UnsafeMutablePointer<Float>?, Int64, UnsafeMutablePointer<Int64>?) -> Int32 = { host, network, layer, images, out, capacity, width in
        let s = HostSession.from(host)
        return s.attempt {
            let net = try s.network(network)
            let name = try cString(layer, "features", "layer name")
            let index = try net.layerIndex(name)
            let w = try net.spec.validatedShapes()[index].reduce(1, *)
            width?.pointee = Int64(w)
            guard let out else { return }
            let set = try ImageSet(images, for: net, call: "features")
            guard capacity >= 0, Int(capacity) >= set.count * w else {
                throw EngineError.badArgument(call: "features", reason: "\(set.count) images of \(w) features need \(set.count * w) floats, the buffer holds \(capacity)")
            }
            let values = try net.features(at: name, for: set, cache: s.prefixCache, identity: s.identity(of: images))
            try checkFinite(values, width: w, what: "features at \(name)")
            values.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: $0.count) }
        }
    }

    private static let predict: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafePointer<harness_images>?, UnsafeMutablePointer<Int32>?) -> Int32 = { host, network, images, out in
        let s = HostSession.from(host)
        return s.attempt {
            let net = try s.network(network)
            guard let out else { throw EngineError.badArgument(call: "predict", reason: "the output buffer is NULL") }
            let set = try ImageSet(images, for: net, call: "predict")
            let logits = net.logits(for: set, cache: s.prefixCache, identity: s.identity(of: images))
            try checkFinite(logits, width: net.classes, what: "outputs")
            for (i, p) in Network.argmax(logits, classes: net.classes).enumerated() { out[i] = Int32(p) }
            s.predicted(net, images: images, out)
        }
    }

    /// NaN or infinite outputs would still yield an argmax (class 0 for every image) and pass as
    /// an ordinary, chance-level row; they are a failure with the count of images affected.
    private static func checkFinite(_ values: [Float], width: Int, what: String) throws {
        guard width > 0, !values.allSatisfy({ $0.isFinite }) else { return }
        let images = values.count / width
        let bad = (0..<images).filter { i in !values[(i * width)..<((i + 1) * width)].allSatisfy { $0.isFinite } }.count
        throw EngineError.nonFinite("the network's \(what) are NaN or infinite for \(bad) of \(images) images: its weights have diverged")
    }

    private static let log: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Void = { host, message in
        HostSession.from(host).log(message.map { String(cString: $0) } ?? "")
    }

    private static let lastError: @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>? = { host in
        HostSession.from(host).lastError
    }

    private static let setError: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Void = { host, message in
        HostSession.from(host).setError(message.map { String(cString: $0) } ?? "strategy failed")
    }
}
