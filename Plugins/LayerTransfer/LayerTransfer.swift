// layer-transfer: copy any chosen source layers (1-3, last2, conv1,fc7 …), frozen or trainable
// at a chosen rate; the rest start fresh. Frozen is Yosinski's AnB, trainable his AnB+.
import StrategyAPI

struct LayerTransfer: Strategy {
    static let name = "layer-transfer"
    static let version = "1.0"
    static let summary = "copy chosen source layers, frozen (AnB) or fine-tuned (AnB+); the rest start fresh"
    static let parameters = [
        StrategyParameter("layers", .string, default: "1-3", help: "which layers to copy: 1-3, 1,2,5, conv1,fc7 or last2"),
        StrategyParameter("trainable", .bool, default: "false", help: "fine-tune the copied layers (AnB+) instead of freezing them (AnB)"),
        StrategyParameter("lr_mult", .double, default: "1.0", help: "learning-rate multiplier of the copied layers when trainable"),
    ]

    let layers: String
    let trainable: Bool
    let lrMult: Double

    init(_ values: StrategyValues) throws {
        layers = values.string("layers")
        trainable = values.bool("trainable")
        lrMult = values.double("lr_mult")
        guard lrMult >= 0 else { throw StrategyError("lr_mult must not be negative") }
    }

    func run(_ task: Task, engine: Engine) throws -> [Int32] {
        let net = try engine.newNetwork(like: task.source, classes: task.classes, seed: task.seed)
        let copied = try LayerSelection.parse(layers, layers: net.layers)
        try engine.copy(copied, from: task.source, to: net)
        try engine.setLearningRateMultiplier(trainable ? lrMult : 0, for: copied, of: net)
        engine.log("layer-transfer: copied \(copied.joined(separator: ", ")), \(trainable ? "fine-tuned at lr x\(lrMult)" : "frozen")")
        try engine.train(net, on: task.train, Training(for: task))
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v1")
public func entry() -> UnsafeRawPointer { export(LayerTransfer.self) }
