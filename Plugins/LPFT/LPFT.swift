// lp-ft: linear probing, then fine-tuning (Kumar et al. 2022, "Fine-Tuning can Distort Pretrained
// Features and Underperform Out-of-Distribution"). The new classifier first trains alone on the
// frozen copied features, so that fine-tuning starts from a head that already fits them instead
// of a random one whose large early gradients distort the copied features.
import StrategyAPI

struct LPFT: Strategy {
    static let name = "lp-ft"
    static let version = "1.0"
    static let summary = "linear probe on frozen copied features, then fine-tune everything (Kumar et al. 2022)"
    @Parameter(range: "1..", help: "epochs of the linear probe (only the new classifier trains)") var lpEpochs = 3
    @Parameter(range: "0..", help: "learning-rate multiplier of the copied layers while fine-tuning") var lrMult = 0.1
    @Parameter(help: HeadStart.help) var head = HeadStart.xavier

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let (net, copied) = try engine.transferNetwork(for: task, copying: { Array($0.dropLast()) }, head: head)

        try engine.setLearningRateMultiplier(0, for: copied, of: net)
        var probe = Training()
        probe.epochs = lpEpochs
        engine.log("lp-ft: linear probe, \(lpEpochs) epochs on frozen \(copied.last ?? "features")")
        try engine.train(net, on: task.train, probe)

        try engine.setLearningRateMultiplier(lrMult, for: copied, of: net)
        engine.log("lp-ft: fine-tuning everything, copied layers at lr x\(lrMult)")
        try engine.train(net, on: task.train, Training())
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(LPFT.self) }
