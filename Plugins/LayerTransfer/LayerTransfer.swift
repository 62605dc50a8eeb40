// layer-transfer: copy any chosen source layers (1-3, last2, conv1,fc7 …), frozen or trainable
// at a chosen rate; the rest start fresh. Frozen is Yosinski's AnB, trainable his AnB+.
import StrategyAPI

struct LayerTransfer: Strategy {
    static let name = "layer-transfer"
    /// 1.1: the new classifier's start is a parameter (head).
    static let version = "1.1"
    static let summary = "copy chosen source layers, frozen (AnB) or fine-tuned (AnB+); the rest start fresh"
    static let parameters = [
        StrategyParameter("layers", .string, default: "1-3", help: "which layers to copy: 1-3, 1,2,5, conv1,fc7 or last2"),
        StrategyParameter("trainable", .bool, default: "false", help: "fine-tune the copied layers (AnB+) instead of freezing them (AnB)"),
        StrategyParameter("lr_mult", .double, default: "1.0", range: "0..", help: "learning-rate multiplier of the copied layers when trainable"),
        StrategyParameter.head,
    ]

    let layers: String
    let trainable: Bool
    let lrMult: Double
    let head: HeadStart

    init(_ values: StrategyValues) {
        layers = values.string("layers")
        trainable = values.bool("trainable")
        lrMult = values.double("lr_mult")
        head = values.head()
    }

    func run(_ task: Task, engine: Engine) throws -> [Int32] {
        let (net, copied) = try engine.transferNetwork(for: task, copying: { try LayerSelection.parse(layers, layers: $0) }, head: head)
        try engine.setLearningRateMultiplier(trainable ? lrMult : 0, for: copied, of: net)
        engine.log("layer-transfer: copied \(copied.joined(separator: ", ")), \(trainable ? "fine-tuned at lr x\(lrMult)" : "frozen")")
        try engine.train(net, on: task.train, Training())
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(LayerTransfer.self) }
