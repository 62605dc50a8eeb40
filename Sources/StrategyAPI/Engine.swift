// The host's engine as a Swift value: the operations of a transfer strategy, none of a
// training loop, each a call through the harness_engine table of C functions.

public struct Training {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var momentum = 0.9
    public var weightDecay = 5e-4
    public var l1 = 0.0
    public var schedule = "onecycle"
    public var seed: UInt64
    /// Conservation: pull toward this network's weights (L2-SP) and/or features (distillation).
    public var anchor: Network?
    public var l2sp = 0.0
    public var distillation = 0.0
    public var distillLayer = "penultimate"

    public init(for task: Task) {
        epochs = task.epochs
        batchSize = task.batchSize
        learningRate = task.learningRate
        weightDecay = task.weightDecay
        seed = task.seed
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

    public func train(_ network: Network, on images: Images, _ settings: Training) throws {
        try settings.schedule.withCString { schedule in
            try settings.distillLayer.withCString { layer in
                var s = harness_training(
                    struct_size: UInt32(MemoryLayout<harness_training>.size), epochs: Int32(settings.epochs),
                    batch_size: Int32(settings.batchSize), learning_rate: settings.learningRate, momentum: settings.momentum,
                    weight_decay: settings.weightDecay, l1: settings.l1, schedule: schedule, seed: settings.seed,
                    anchor: settings.anchor?.pointer, l2sp: settings.l2sp, distillation: settings.distillation, distill_layer: layer)
                var data = images.raw
                try check(table.pointee.train(host, network.pointer, &data, &s), "train")
            }
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
    public func transferNetwork(for task: Task, copying select: ([String]) throws -> [String],
                                head: HeadStart = .xavier) throws -> (network: Network, copied: [String]) {
        let net = try newNetwork(like: task.source, classes: task.classes, seed: task.seed)
        let copied = try select(net.layers)
        try copy(copied, from: task.source, to: net)
        if let last = net.layers.last, !copied.contains(last) { try startHead(of: net, head, seed: task.seed) }
        return (net, copied)
    }

    public func log(_ message: String) { table.pointee.log(host, message) }
}
