// The host's engine as a Swift value: the operations of a transfer strategy, none of a
// training loop, each a call through the harness_engine table of C functions.

/// The settings of one `engine.train` call. nil means the cell's hyperparameters (the task's
/// epochs, batch size, rate and weight decay; its momentum, L1 and schedule, by default 0.9, 0
/// and onecycle). Set them only to differ; onecycle cycles momentum itself, so a momentum other
/// than 0.9 needs another schedule.
public struct Training {
    public var epochs: Int?
    public var batchSize: Int?
    public var learningRate: Double?
    public var momentum: Double?
    /// 0 turns weight decay off.
    public var weightDecay: Double?
    public var l1 = 0.0
    public var schedule: String?
    public var seed: UInt64?
    /// Terms added to the classification loss (conservation, domain adaptation).
    public var terms: [LossTerm] = []

    public init() {}

    @available(*, deprecated, message: "the host's defaults are the task's: Training() is enough")
    public init(for task: StrategyTask) {}
}

/// A term of the training loss, computed by the engine with its gradient (harness_loss_term).
public struct LossTerm {
    public enum Kind {
        /// weight/2 ||w - w_anchor||^2 on the layers shared with `anchor` (L2-SP).
        case l2sp(anchor: Network)
        /// weight/2 mean ||f(x) - f_anchor(x)||^2 at the term's layer.
        case distillation(anchor: Network)
        /// Multi-kernel MMD^2 between the source and target rows (DDC, DAN); bandwidths as
        /// multiples of the batch's mean squared distance (nil: 1/4 ... 4).
        case mmd(bandwidths: [Double]?)
        case coral
        /// A discriminator with two hidden layers of this width, behind gradient reversal (DANN).
        case adversarial(hidden: Int)
    }

    public var kind: Kind
    /// A layer or unit name (a block means its output), or "penultimate".
    public var layer: String
    public var weight: Double
    public var warmUp: Bool

    public init(_ kind: Kind, layer: String = "penultimate", weight: Double, warmUp: Bool = false) {
        self.kind = kind
        self.layer = layer
        self.weight = weight
        self.warmUp = warmUp
    }

    var name: String {
        switch kind {
        case .l2sp: "l2sp"
        case .distillation: "distillation"
        case .mmd: "mmd"
        case .coral: "coral"
        case .adversarial: "adversarial"
        }
    }

    var options: String? {
        switch kind {
        case let .mmd(b?): "bandwidths=" + b.map { "\($0)" }.joined(separator: ",")
        case let .adversarial(hidden): "hidden=\(hidden)"
        default: nil
        }
    }

    var anchor: Network? {
        switch kind {
        case let .l2sp(a), let .distillation(a): a
        default: nil
        }
    }
}

/// The host's engine: the operations of a transfer strategy, none of a training loop.

public struct Engine {
    let table: UnsafePointer<harness_engine>
    let host: OpaquePointer

    private func check(_ status: Int32, _ what: String) throws {
        guard status == 0 else {
            let why = table.pointee.last_error(host).map { String(cString: $0) } ?? "unknown error"
            throw StrategyError("\(what): \(why)")
        }
    }

    /// The source network's architecture with a classifier for `classes`, freshly initialised.
    public func newNetwork(like other: Network, classes: Int, seed: UInt64) throws -> Network {
        guard let p = table.pointee.new_network(host, other.pointer, Int32(classes), seed) else {
            try check(1, "new_network")
            fatalError("unreachable")
        }
        return Network(p, engine: self, owned: true)
    }

    /// A linear classifier over `width` features (its one layer is "fc"): train it on feature
    /// vectors made with `Images(features:)`. Needs a host of ABI 2.1 (new_linear).
    public func newLinear(width: Int, classes: Int, seed: UInt64) throws -> Network {
        let end = MemoryLayout<harness_engine>.offset(of: \harness_engine.new_linear)! + MemoryLayout<UnsafeRawPointer>.size
        guard Int(table.pointee.struct_size) >= end, let make = table.pointee.new_linear else {
            throw StrategyError("this harness's engine has no new_linear (ABI 2.1). help: use a newer harness")
        }
        guard let p = make(host, Int32(width), Int32(classes), seed) else {
            try check(1, "new_linear")
            fatalError("unreachable")
        }
        return Network(p, engine: self, owned: true)
    }

    public func copy(_ layers: [String], from source: Network, to target: Network) throws {
        for layer in layers { try check(table.pointee.copy_layer(host, target.pointer, source.pointer, layer), "copy \(layer)") }
    }

    public func reinitialize(_ layers: [String], of network: Network, with initializer: String, seed: UInt64) throws {
        for layer in layers {
            try check(table.pointee.reinitialize(host, network.pointer, layer, initializer, seed), "reinitialize \(layer)")
        }
    }

    /// 0 freezes the layers.
    public func setLearningRateMultiplier(_ multiplier: Double, for layers: [String], of network: Network) throws {
        for layer in layers {
            try check(table.pointee.set_learning_rate_multiplier(host, network.pointer, layer, multiplier), "lr_mult \(layer)")
        }
    }

    /// Kinds of parameters `setLearningRateMultiplier(_:kind:for:of:)` selects (ABI 2.2).
    public enum ParameterKind: String, Sendable {
        /// Convolution and fully connected weights.
        case weight
        /// Their biases, and batch normalisation's shift (BitFit's additive terms).
        case bias
        /// Batch normalisation's scale and shift.
        case batchNorm = "bn"
        case all
    }

    /// The multiplier of one kind of parameter of each named unit or layer; ["*"] for every
    /// layer. Needs a host of ABI 2.2.
    public func setLearningRateMultiplier(_ multiplier: Double, kind: ParameterKind, for layers: [String], of network: Network) throws {
        let end = MemoryLayout<harness_engine>.offset(of: \harness_engine.set_parameter_learning_rate_multiplier)! + MemoryLayout<UnsafeRawPointer>.size
        guard Int(table.pointee.struct_size) >= end, let set = table.pointee.set_parameter_learning_rate_multiplier else {
            throw StrategyError("this harness's engine cannot choose parameters by kind (ABI 2.2). help: use a newer harness")
        }
        for layer in layers { try check(set(host, network.pointer, layer, kind.rawValue, multiplier), "lr_mult \(kind.rawValue) of \(layer)") }
    }

    public func train(_ network: Network, on images: Images, _ settings: Training = Training()) throws {
        // C strings for the call's duration.
        var strings: [UnsafeMutablePointer<CChar>] = []
        defer { strings.forEach { free($0) } }
        func c(_ s: String?) -> UnsafePointer<CChar>? {
            guard let s, let p = strdup(s) else { return nil }
            strings.append(p)
            return UnsafePointer(p)
        }
        let terms = settings.terms.map { t in
            harness_loss_term(kind: c(t.name), layer: c(t.layer), weight: t.weight, warm_up: t.warmUp ? 1 : 0,
                              anchor: t.anchor?.pointer, options: c(t.options))
        }
        try terms.withUnsafeBufferPointer { termsPointer in
            var s = harness_training(
                struct_size: UInt32(MemoryLayout<harness_training>.size), epochs: Int32(settings.epochs ?? 0),
                batch_size: Int32(settings.batchSize ?? 0), learning_rate: settings.learningRate ?? 0,
                momentum: settings.momentum.map { $0 == 0 ? HARNESS_NONE : $0 } ?? 0,
                weight_decay: settings.weightDecay.map { $0 == 0 ? HARNESS_NONE : $0 } ?? 0, l1: settings.l1,
                schedule: c(settings.schedule), seed: settings.seed ?? 0,
                anchor: nil, l2sp: 0, distillation: 0, distill_layer: nil,
                terms: termsPointer.baseAddress, term_count: UInt32(terms.count))
            var data = images.raw
            try check(table.pointee.train(host, network.pointer, &data, &s), "train")
        }
    }

    /// count x width features at `layer`, row-major, and the width.
    public func features(of network: Network, at layer: String, for images: Images) throws -> (values: [Float], width: Int) {
        var data = images.raw
        var width: Int64 = 0
        try check(table.pointee.features(host, network.pointer, layer, &data, nil, 0, &width), "features \(layer)")
        var out = [Float](repeating: 0, count: images.count * Int(width))
        try out.withUnsafeMutableBufferPointer {
            try check(table.pointee.features(host, network.pointer, layer, &data, $0.baseAddress, Int64($0.count), &width), "features \(layer)")
        }
        return (out, Int(width))
    }

    public func predict(_ network: Network, _ images: Images) throws -> [Int32] {
        var data = images.raw
        var out = [Int32](repeating: 0, count: images.count)
        try out.withUnsafeMutableBufferPointer { try check(table.pointee.predict(host, network.pointer, &data, $0.baseAddress), "predict") }
        return out
    }

    /// Starts the classifier (the last layer) of a new network as `head` says.
    public func startHead(of network: Network, _ head: HeadStart, seed: UInt64) throws {
        guard head != .xavier, let last = network.layers.last else { return }
        try reinitialize([last], of: network, with: head.initializer, seed: seed)
    }

    /// The start of every transfer: a network of the source's architecture for the task's
    /// classes, the layers `select` picks (from the new network's layer names) copied from the
    /// source, and, unless the classifier itself was copied, a new classifier started as `head` says.
    public func transferNetwork(for task: StrategyTask, copying select: ([String]) throws -> [String],
                                head: HeadStart = .xavier) throws -> (network: Network, copied: [String]) {
        let net = try newNetwork(like: task.source, classes: task.classes, seed: task.seed)
        let copied = try select(net.layers)
        try copy(copied, from: task.source, to: net)
        if let last = net.layers.last, !copied.contains(last) { try startHead(of: net, head, seed: task.seed) }
        return (net, copied)
    }

    public func log(_ message: String) { table.pointee.log(host, message) }
}

#if canImport(Glibc)
import Glibc
#endif
