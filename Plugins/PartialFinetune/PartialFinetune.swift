// partial-finetune: every layer but the classifier copied from the source network; the first
// units frozen at the source's weights, the rest fine-tuned from the source's weights (not
// re-initialised, as freeze-n's AnB does). The small-data advice of the transfer literature:
// "fix the first layers and update only the later ones".
import StrategyAPI

struct PartialFinetune: Strategy {
    static let name = "partial-finetune"
    static let version = "1.0"
    static let summary = "every layer but the classifier copied; the first units frozen, the rest fine-tuned from the source's weights"
    @Parameter(help: "the units to freeze: half (the first half of the copied units, rounded down) or a number N (the first N)") var frozen = "half"
    @Parameter(range: "0..", help: "learning-rate multiplier of the copied units that train") var lrMult = 0.1
    @Parameter(help: HeadStart.help) var head = HeadStart.xavier

    /// How many of `copied` units `frozen` names.
    static func count(_ frozen: String, of copied: [String]) throws -> Int {
        if frozen == "half" { return copied.count / 2 }
        guard let n = Int(frozen), (0...copied.count).contains(n) else {
            throw StrategyError("frozen = '\(frozen)': write half, or a number from 0 to \(copied.count) (the copied units: \(copied.joined(separator: ", ")))")
        }
        return n
    }

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let (net, copied) = try engine.transferNetwork(for: task, copying: { Array($0.dropLast()) }, head: head)
        let n = try Self.count(frozen, of: copied)
        try engine.setLearningRateMultiplier(0, for: Array(copied.prefix(n)), of: net)
        try engine.setLearningRateMultiplier(lrMult, for: Array(copied.dropFirst(n)), of: net)
        engine.log("partial-finetune: froze \(n) of \(copied.count) copied units (\(copied.prefix(n).last.map { "through \($0)" } ?? "none")); "
                   + "the other \(copied.count - n) fine-tune at lr x\(lrMult)")
        try engine.train(net, on: task.train, Training())
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(PartialFinetune.self) }
