// conservation: fine-tune everything, but stay close to the source: an L2-SP penalty pulls the
// copied weights toward the source's (plain L2 on the new classifier), and optionally a
// distillation term pulls a layer's features toward the source network's on the same images.
import StrategyAPI

struct Conservation: Strategy {
    static let name = "conservation"
    /// 1.1: the new classifier's start is a parameter (head); layer defaults to penultimate.
    /// 2.0: its penalties are ABI 2 loss terms (the same terms, computed the same way).
    static let version = "2.0"
    static let summary = "fine-tuning regularised toward the source: L2-SP on copied weights, optional feature distillation"
    @Parameter(range: "0..", help: "alpha of the L2-SP penalty alpha/2 ||w - w_source||^2") var l2sp = 0.01
    @Parameter(range: "0..", help: "weight of the feature-distillation penalty (0 disables it)") var distillation = 0.0
    @Parameter(help: "layer whose output distillation matches (penultimate: what the classifier reads)") var layer = "penultimate"
    @Parameter(range: "0..", help: "learning-rate multiplier of the copied layers") var lrMult = 1.0
    @Parameter(help: HeadStart.help) var head = HeadStart.xavier

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let (net, copied) = try engine.transferNetwork(for: task, copying: { Array($0.dropLast()) }, head: head)
        try engine.setLearningRateMultiplier(lrMult, for: copied, of: net)
        var training = Training()
        if l2sp > 0 { training.terms.append(LossTerm(.l2sp(anchor: task.source), weight: l2sp)) }
        if distillation > 0 { training.terms.append(LossTerm(.distillation(anchor: task.source), layer: layer, weight: distillation)) }
        try engine.train(net, on: task.train, training)
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(Conservation.self) }
