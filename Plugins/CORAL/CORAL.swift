// coral: the source network adapted by aligning the covariances of source and target features
// (Deep CORAL, Sun & Saenko 2016).
import StrategyAPI

struct CORAL: Strategy {
    static let name = "coral"
    static let version = "1.0"
    static let summary = "domain adaptation: align the covariance of source and target features (Deep CORAL)"
    static let parameters = [
        StrategyParameter("layers", .string, default: "penultimate", help: "layer(s) to align, comma-separated"),
        StrategyParameter("weight", .double, default: "1.0", range: "0..", help: "lambda: the CORAL term's weight in the loss"),
    ]

    let layers: [String], weight: Double
    init(_ values: StrategyValues) throws {
        layers = layerList(values.string("layers"))
        weight = values.double("weight")
        guard !layers.isEmpty else { throw StrategyError("layers names at least one layer, e.g. penultimate") }
    }

    func run(_ task: Task, engine: Engine) throws -> [Int32] {
        try engine.adapt(task, strategy: Self.name, terms: layers.map { LossTerm(.coral, layer: $0, weight: weight) })
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(CORAL.self) }
