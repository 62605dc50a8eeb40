// coral: the source network adapted by aligning the covariances of source and target features
// (Deep CORAL, Sun & Saenko 2016).
import StrategyAPI

struct CORAL: Strategy {
    static let name = "coral"
    static let version = "1.1"
    static let summary = "domain adaptation: align the covariance of source and target features (Deep CORAL)"
    @Parameter(help: "layer(s) to align: penultimate, names (a block means its output) or lastK, the last K hidden units") var layers = "penultimate"
    @Parameter(range: "0..", help: "lambda: the CORAL term's weight in the loss") var weight = 1.0

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        try engine.adapt(task, strategy: Self.name, terms: try adaptationLayers(layers, network: task.source).map { LossTerm(.coral, layer: $0, weight: weight) })
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(CORAL.self) }
