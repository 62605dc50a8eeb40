// source-only: the adaptation baseline. The source network, trained on the labelled source
// images, classifies the target's images as it is: what the domain shift costs.
import StrategyAPI

struct SourceOnly: Strategy {
    static let name = "source-only"
    static let version = "1.0"
    static let summary = "domain-adaptation baseline: the source network predicts the target's images unchanged"

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        _ = try task.adaptationLabelledImages(strategy: Self.name)  // the same classes on both sides
        return try engine.predict(task.source, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(SourceOnly.self) }
