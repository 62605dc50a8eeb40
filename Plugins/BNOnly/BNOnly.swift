// bn-only: every layer but the classifier copied from the source network; only batch
// normalisation's scale and shift train, with the new classifier (the parameter-efficient tuning
// of Frankle et al. 2021 and Mudrakarta et al. 2019). Running statistics follow the comparison's
// batch_norm setting. On a network without batch normalisation it is a linear probe.
import StrategyAPI

struct BNOnly: Strategy {
    static let name = "bn-only"
    static let version = "1.0"
    static let summary = "every layer but the classifier copied and frozen except batch normalisation's scale and shift; those and the classifier train"
    @Parameter(range: "0..", help: "learning-rate multiplier of the copied batch-norm parameters") var lrMult = 1.0
    @Parameter(help: HeadStart.help) var head = HeadStart.xavier

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let (net, copied) = try engine.transferNetwork(for: task, copying: { Array($0.dropLast()) }, head: head)
        try engine.setLearningRateMultiplier(0, for: copied, of: net)
        try engine.setLearningRateMultiplier(lrMult, kind: .batchNorm, for: copied, of: net)
        engine.log("bn-only: only batch normalisation's scale and shift in the \(copied.count) copied units train (lr x\(lrMult)), with the new classifier")
        try engine.train(net, on: task.train, Training())
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(BNOnly.self) }
