// random-filters: the first n layers randomly initialised and frozen, the rest trained: the
// baseline of Jarrett et al. 2009 that Yosinski et al. compare transfer against.
import StrategyAPI

struct RandomFilters: Strategy {
    static let name = "random-filters"
    static let version = "1.0"
    static let summary = "first n layers random and frozen, the rest trained (Jarrett et al.'s baseline)"
    @Parameter(range: "0..", help: "how many leading layers stay random and frozen") var n = 3

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let net = try engine.newNetwork(like: task.source, classes: task.classes, seed: task.seed)
        let frozen = try LayerSelection.first(n, of: net.layers)
        try engine.setLearningRateMultiplier(0, for: frozen, of: net)
        try engine.train(net, on: task.train, Training())
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(RandomFilters.self) }
