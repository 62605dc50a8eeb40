// bitfit: every layer but the classifier copied from the source network; only the bias terms
// train (Zaken et al. 2022, BitFit), with the new classifier. In a convolutional network with
// batch normalisation the additive terms are batch normalisation's shifts (a ResNet's
// convolutions have none), so those train; every weight and scale stays the source's.
import StrategyAPI

struct BitFit: Strategy {
    static let name = "bitfit"
    static let version = "1.0"
    static let summary = "every layer but the classifier copied and frozen except its biases (and batch-norm shifts); those and the classifier train"
    @Parameter(range: "0..", help: "learning-rate multiplier of the copied biases") var lrMult = 1.0
    @Parameter(help: HeadStart.help) var head = HeadStart.xavier

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let (net, copied) = try engine.transferNetwork(for: task, copying: { Array($0.dropLast()) }, head: head)
        try engine.setLearningRateMultiplier(0, for: copied, of: net)
        try engine.setLearningRateMultiplier(lrMult, kind: .bias, for: copied, of: net)
        engine.log("bitfit: only the biases of the \(copied.count) copied units train (lr x\(lrMult)), with the new classifier")
        try engine.train(net, on: task.train, Training())
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(BitFit.self) }
