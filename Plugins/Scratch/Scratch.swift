// scratch: the baseline every table needs: random initialisation, every layer trained.
import StrategyAPI

struct Scratch: Strategy {
    static let name = "scratch"
    static let version = "1.0"
    static let summary = "random initialisation, every layer trained (the baseline)"

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let net = try engine.newNetwork(like: task.source, classes: task.classes, seed: task.seed)
        try engine.train(net, on: task.train, Training())
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(Scratch.self) }
