// Writing a transfer strategy in Swift: conform to `Strategy`, then export it in one line:
//
//     @_cdecl("harness_strategy_entry_v1")
//     public func entry() -> UnsafeRawPointer { export(FreezeN.self) }
//
// Under the hood only C types from harness_strategy.h cross into the host. A Swift protocol
// shared between host and plugin would not work: SwiftPM links this module into the host and
// into every plugin separately, each copy has its own type metadata, and casts across the
// boundary fail silently.
@_exported import CStrategyAPI

public protocol Strategy {
    /// The name strategies.json uses, e.g. "freeze-n".
    static var name: String { get }
    static var version: String { get }
    static var summary: String { get }
    static var parameters: [StrategyParameter] { get }

    /// Receives the parameters (already type-checked and defaulted by the host); throw to refuse them.
    init(_ values: StrategyValues) throws

    /// One predicted class per evaluation image.
    func run(_ task: Task, engine: Engine) throws -> [Int32]
}

/// A parameter, declared once: its type, default, the values it may take and a line of help. The
/// host checks configurations and search spaces in strategies.json against it before any run.
public struct StrategyParameter: Sendable {
    public enum Kind: Sendable { case int, double, bool, string }
    public var name: String
    public var kind: Kind
    public var defaultValue: String
    /// "MIN..MAX" for numbers (either end may be left out), "a|b|c" for strings; nil: any value.
    public var range: String?
    public var help: String

    public init(_ name: String, _ kind: Kind, default defaultValue: String, range: String? = nil, help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.range = range
        self.help = help
    }

    /// How the new classifier starts, for strategies that put a fresh one on copied features.
    public static let head = StrategyParameter(
        "head", .string, default: "xavier", range: HeadStart.allCases.map(\.rawValue).joined(separator: "|"),
        help: "how the new classifier starts: xavier (as every fresh layer), small (gaussian, sigma 0.001) or zero")
}

/// How a new classifier on copied features starts. Xavier weights on features of large norm give
/// large logits and a first epoch far from chance; small or zero weights start at chance.
public enum HeadStart: String, CaseIterable, Sendable {
    case xavier, small, zero

    /// The engine's initializer for it.
    var initializer: String {
        switch self {
        case .xavier: return "xavier"
        case .small: return "gaussian:0.001"
        case .zero: return "constant:0"
        }
    }
}

/// The parameters a strategy was configured with, by name.
public struct StrategyValues {
    let values: [String: harness_value]
    let strings: [String: String]

    public func int(_ name: String) -> Int { Int(values[name]?.integer ?? 0) }
    public func double(_ name: String) -> Double { values[name]?.number ?? 0 }
    public func bool(_ name: String) -> Bool { (values[name]?.integer ?? 0) != 0 }
    public func string(_ name: String) -> String { strings[name] ?? "" }
}

/// A failure to report to the harness, which shows it in the result row.
public struct StrategyError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

// MARK: The data a strategy sees

public struct Images {
    public let raw: harness_images
    public var count: Int { Int(raw.count) }
    /// Labels (training images only; evaluation images have none).
    public var labels: [Int32]? {
        raw.labels.map { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }
}

public struct Task {
    public let source: Network
    public let train: Images
    public let eval: Images
    public let classes: Int
    public let seed: UInt64
    public let epochs: Int
    public let batchSize: Int
    public let learningRate: Double
    /// L2 on weights the comparison chose (a searchable training setting).
    public let weightDecay: Double
}

/// A network lent by the host. Networks a strategy creates are released when dropped; the
/// source network belongs to the host.
public final class Network {
    let pointer: OpaquePointer
    let engine: Engine
    let owned: Bool

    init(_ pointer: OpaquePointer, engine: Engine, owned: Bool) {
        self.pointer = pointer
        self.engine = engine
        self.owned = owned
    }

    deinit { if owned { engine.table.pointee.release_network(engine.host, pointer) } }

    /// The learnable layers, in order ("conv1" … "fc8" for the default network).
    public var layers: [String] {
        let t = engine.table.pointee
        return (0..<t.layer_count(engine.host, pointer)).map { t.layer_name(engine.host, pointer, $0).map { String(cString: $0) } ?? "?" }
    }
}

/// Training settings; defaults are the harness's. Epochs, batch size and rate come from the task.
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
    public var distillLayer = "relu7"

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

    public func log(_ message: String) { table.pointee.log(host, message) }
}

extension StrategyValues {
    /// The value of a `StrategyParameter.head` parameter (the host has checked it).
    public func head(_ name: String = "head") -> HeadStart { HeadStart(rawValue: string(name)) ?? .xavier }
}

// MARK: Export

/// One strategy per shared library, so one exported type per process image of this module.
nonisolated(unsafe) private var exportedType: (any Strategy.Type)?
nonisolated(unsafe) private var exportedDescriptor: UnsafeMutablePointer<harness_strategy>?

private final class StateBox {
    let strategy: any Strategy
    init(_ strategy: any Strategy) { self.strategy = strategy }
}

/// The descriptor the entry symbol returns. Strings and tables live for the process (plugins
/// are never unloaded).
public func export<S: Strategy>(_ type: S.Type) -> UnsafeRawPointer {
    if let d = exportedDescriptor { return UnsafeRawPointer(d) }
    exportedType = type
    let params = UnsafeMutablePointer<harness_parameter>.allocate(capacity: max(S.parameters.count, 1))
    for (i, p) in S.parameters.enumerated() {
        let kind: harness_type = switch p.kind {
        case .int: HARNESS_INT
        case .double: HARNESS_DOUBLE
        case .bool: HARNESS_BOOL
        case .string: HARNESS_STRING
        }
        params[i] = harness_parameter(name: strdup(p.name), type: kind, default_value: strdup(p.defaultValue), help: strdup(p.help))
    }
    let ranges = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(S.parameters.count, 1))
    for (i, p) in S.parameters.enumerated() { ranges[i] = p.range.map { UnsafePointer(strdup($0)!) } }
    let d = UnsafeMutablePointer<harness_strategy>.allocate(capacity: 1)
    d.initialize(to: harness_strategy(
        abi_version: UInt32(HARNESS_STRATEGY_ABI_VERSION), struct_size: UInt32(MemoryLayout<harness_strategy>.size),
        name: strdup(S.name), version: strdup(S.version), summary: strdup(S.summary),
        parameters: params, parameter_count: UInt32(S.parameters.count),
        configure: nil, configure_values: configureThunk, run: runThunk, release: releaseThunk,
        parameter_ranges: UnsafePointer(ranges)))
    exportedDescriptor = d
    return UnsafeRawPointer(d)
}

private let configureThunk: @convention(c) (UnsafePointer<harness_value>?, UInt32) -> UnsafeMutableRawPointer? = { values, count in
    guard let type = exportedType else { return nil }
    var byName: [String: harness_value] = [:], strings: [String: String] = [:]
    for (i, p) in type.parameters.enumerated() where i < Int(count) {
        let v = values![i]
        byName[p.name] = v
        if v.type == HARNESS_STRING, let s = v.string { strings[p.name] = String(cString: s) }
    }
    guard let strategy = try? type.init(StrategyValues(values: byName, strings: strings)) else { return nil }
    return Unmanaged.passRetained(StateBox(strategy)).toOpaque()
}

private let runThunk: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<harness_task>?, UnsafePointer<harness_engine>?,
                                      OpaquePointer?, UnsafeMutablePointer<Int32>?) -> Int32 = { state, task, table, host, out in
    guard let state, let task, let table, let host, let out else { return 1 }
    let engine = Engine(table: table, host: host)
    let t = task.pointee
    let strategy = Unmanaged<StateBox>.fromOpaque(state).takeUnretainedValue().strategy
    do {
        let predictions = try strategy.run(Task(
            source: Network(t.source!, engine: engine, owned: false),
            train: Images(raw: t.train), eval: Images(raw: t.eval), classes: Int(t.classes), seed: t.seed,
            epochs: Int(t.epochs), batchSize: Int(t.batch_size), learningRate: t.learning_rate,
            weightDecay: Int(t.struct_size) >= MemoryLayout<harness_task>.size ? t.weight_decay : 5e-4), engine: engine)
        guard predictions.count == Int(t.eval.count) else {
            throw StrategyError("returned \(predictions.count) predictions for \(t.eval.count) images")
        }
        predictions.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: $0.count) }
        return 0
    } catch {
        table.pointee.set_error(host, "\(error)")
        return 1
    }
}

private let releaseThunk: @convention(c) (UnsafeMutableRawPointer?) -> Void = { state in
    if let state { Unmanaged<StateBox>.fromOpaque(state).release() }
}

#if canImport(Glibc)
import Glibc
#endif
