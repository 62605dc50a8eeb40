// finetune: every layer but the classifier copied; all trained, the copied ones at a smaller rate.
import StrategyAPI

struct Finetune: Strategy {
    static let name = "finetune"
    /// 1.1: the new classifier's start is a parameter (head).
    static let version = "1.1"
    static let summary = "all layers but the classifier copied; everything trained, copied layers at a smaller rate"
    @Parameter(range: "0..", help: "learning-rate multiplier of the copied layers") var lrMult = 0.1
    @Parameter(help: HeadStart.help) var head = HeadStart.xavier

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let (net, copied) = try engine.transferNetwork(for: task, copying: { Array($0.dropLast()) }, head: head)
        try engine.setLearningRateMultiplier(lrMult, for: copied, of: net)
        try engine.train(net, on: task.train, Training())
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(Finetune.self) }
