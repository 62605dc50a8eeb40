// layer-transfer: copy any chosen source layers (1-3, last2, conv1,fc7 …), frozen or trainable
// at a chosen rate; the rest start fresh. Frozen is Yosinski's AnB, trainable his AnB+.
import StrategyAPI

struct LayerTransfer: Strategy {
    static let name = "layer-transfer"
    /// 1.1: the new classifier's start is a parameter (head).
    static let version = "1.1"
    static let summary = "copy chosen source layers, frozen (AnB) or fine-tuned (AnB+); the rest start fresh"
    @Parameter(help: "which layers to copy: 1-3, 1,2,5, conv1,fc7 or last2") var layers = "1-3"
    @Parameter(help: "fine-tune the copied layers (AnB+) instead of freezing them (AnB)") var trainable = false
    @Parameter(range: "0..", help: "learning-rate multiplier of the copied layers when trainable") var lrMult = 1.0
    @Parameter(help: HeadStart.help) var head = HeadStart.xavier

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let (net, copied) = try engine.transferNetwork(for: task, copying: { try LayerSelection.parse(layers, layers: $0) }, head: head)
        try engine.setLearningRateMultiplier(trainable ? lrMult : 0, for: copied, of: net)
        engine.log("layer-transfer: copied \(copied.joined(separator: ", ")), \(trainable ? "fine-tuned at lr x\(lrMult)" : "frozen")")
        try engine.train(net, on: task.train, Training())
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(LayerTransfer.self) }
