// freeze-n: the first n layers copied from the source network and frozen; the rest start fresh
// and train (Yosinski's AnB; with "source": "self", BnB).
import StrategyAPI

struct FreezeN: Strategy {
    static let name = "freeze-n"
    /// 1.1: the new classifier's start is a parameter (head).
    static let version = "1.1"
    static let summary = "first n layers copied and frozen, the rest trained from fresh initialisation"
    @Parameter(range: "0..", help: "how many layers to copy and freeze") var n = 3
    @Parameter(help: HeadStart.help) var head = HeadStart.xavier

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let (net, copied) = try engine.transferNetwork(for: task, copying: { try LayerSelection.first(n, of: $0) }, head: head)
        try engine.setLearningRateMultiplier(0, for: copied, of: net)
        engine.log("freeze-n: copied and froze \(copied.isEmpty ? "no layers" : copied.joined(separator: ", "))")
        try engine.train(net, on: task.train, Training())
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(FreezeN.self) }
