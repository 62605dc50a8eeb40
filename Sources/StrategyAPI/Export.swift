// The one-line export: a Strategy type turned into the harness_strategy descriptor the host
// loads, with C thunks that call into the Swift type.

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
    let declared = S.parameters
    let params = UnsafeMutablePointer<harness_parameter>.allocate(capacity: max(declared.count, 1))
    for (i, p) in declared.enumerated() {
        let kind: harness_type = switch p.kind {
        case .int: HARNESS_INT
        case .double: HARNESS_DOUBLE
        case .bool: HARNESS_BOOL
        case .string: HARNESS_STRING
        }
        params[i] = harness_parameter(name: strdup(p.name), type: kind, default_value: strdup(p.defaultValue), help: strdup(p.help))
    }
    let ranges = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(declared.count, 1))
    for (i, p) in declared.enumerated() { ranges[i] = p.range.map { UnsafePointer(strdup($0)!) } }
    let d = UnsafeMutablePointer<harness_strategy>.allocate(capacity: 1)
    d.initialize(to: harness_strategy(
        abi_version: UInt32(HARNESS_STRATEGY_ABI_VERSION), struct_size: UInt32(MemoryLayout<harness_strategy>.size),
        name: strdup(S.name), version: strdup(S.version), summary: strdup(S.summary),
        parameters: params, parameter_count: UInt32(declared.count),
        configure: nil, configure_values: configureThunk, run: runThunk, release: releaseThunk,
        parameter_ranges: UnsafePointer(ranges), configure_error: configureErrorThunk))
    exportedDescriptor = d
    return UnsafeRawPointer(d)
}

/// A strategy value with its parameters set from the host's values (in declaration order), and
/// its own check run.
func configured(_ type: any Strategy.Type, values: UnsafePointer<harness_value>?, count: Int) throws -> any Strategy {
    let strategy = type.init()
    let declared = declaredParameters(of: strategy)
    guard count == declared.count else { throw StrategyError("the host sent \(count) values for \(declared.count) parameters") }
    for (i, (p, holder)) in declared.enumerated() {
        let v = values![i]
        let string = v.type == HARNESS_STRING ? v.string.map { String(cString: $0) } : nil
        guard holder.assign(v, string: string) else { throw StrategyError("parameter \(p.name): the host's value does not fit its type") }
    }
    try strategy.validate()
    return strategy
}

private let configureThunk: @convention(c) (UnsafePointer<harness_value>?, UInt32) -> UnsafeMutableRawPointer? = { values, count in
    guard let type = exportedType else { return nil }
    do {
        return Unmanaged.passRetained(StateBox(try configured(type, values: values, count: Int(count)))).toOpaque()
    } catch {
        free(configureFailure)
        configureFailure = strdup("\(error)")
        return nil
    }
}

/// Why the last configure refused (the strategy's thrown error), for the host to show.
nonisolated(unsafe) private var configureFailure: UnsafeMutablePointer<CChar>?

private let configureErrorThunk: @convention(c) () -> UnsafePointer<CChar>? = { UnsafePointer(configureFailure) }

private let runThunk: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<harness_task>?, UnsafePointer<harness_engine>?,
                                      OpaquePointer?, UnsafeMutablePointer<Int32>?) -> Int32 = { state, task, table, host, out in
    guard let state, let task, let table, let host, let out else { return 1 }
    let engine = Engine(table: table, host: host)
    let t = task.pointee
    let strategy = Unmanaged<StateBox>.fromOpaque(state).takeUnretainedValue().strategy
    do {
        guard Int(t.struct_size) >= MemoryLayout<harness_task>.size else {
            throw StrategyError("the host's task is older than this plugin's ABI (struct_size \(t.struct_size))")
        }
        let predictions = try strategy.run(StrategyTask(
            source: Network(t.source!, engine: engine, owned: false),
            train: Images(raw: t.train), eval: Images(raw: t.eval), classes: Int(t.classes), seed: t.seed,
            epochs: Int(t.epochs), batchSize: Int(t.batch_size), learningRate: t.learning_rate, weightDecay: t.weight_decay,
            unlabelled: t.unlabelled.count > 0 ? Images(raw: t.unlabelled) : nil,
            sourceTrain: t.source_train.count > 0 ? Images(raw: t.source_train) : nil, sourceClasses: Int(t.source_classes)), engine: engine)
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
