// finetune: every layer but the classifier copied; all trained, the copied ones at a smaller rate.
import StrategyAPI

struct Finetune: Strategy {
    static let name = "finetune"
    static let version = "1.0"
    static let summary = "all layers but the classifier copied; everything trained, copied layers at a smaller rate"
    static let parameters = [StrategyParameter("lr_mult", .double, default: "0.1", help: "learning-rate multiplier of the copied layers")]

    let lrMult: Double
    init(_ values: StrategyValues) throws {
        lrMult = values.double("lr_mult")
        guard lrMult >= 0 else { throw StrategyError("lr_mult must not be negative") }
    }

    func run(_ task: Task, engine: Engine) throws -> [Int32] {
        let net = try engine.newNetwork(like: task.source, classes: task.classes, seed: task.seed)
        let copied = Array(net.layers.dropLast())
        try engine.copy(copied, from: task.source, to: net)
        try engine.setLearningRateMultiplier(lrMult, for: copied, of: net)
        try engine.train(net, on: task.train, Training(for: task))
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v1")
public func entry() -> UnsafeRawPointer { export(Finetune.self) }
