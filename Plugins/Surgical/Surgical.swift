// surgical: every layer but the classifier copied from the source network and frozen, except
// one chosen unit, which fine-tunes with the new classifier (Lee et al. 2023, "Surgical
// Fine-Tuning Improves Adaptation to Distribution Shifts": the unit that helps most depends on
// the kind of shift; input-level shifts favour the first, output-level shifts the last).
import StrategyAPI

struct Surgical: Strategy {
    static let name = "surgical"
    static let version = "1.0"
    static let summary = "every layer but the classifier copied and frozen except one chosen unit (first, middle, last or a number), which trains with the classifier"
    @Parameter(help: "the unit that trains: first, middle, last, or its number among the copied units (from 1)") var unit = "last"
    @Parameter(range: "0..", help: "learning-rate multiplier of the chosen unit") var lrMult = 1.0
    @Parameter(help: HeadStart.help) var head = HeadStart.xavier

    /// The copied unit `unit` names.
    static func chosen(_ unit: String, of copied: [String]) throws -> String {
        guard !copied.isEmpty else { throw StrategyError("the network has no unit before its classifier") }
        switch unit {
        case "first": return copied[0]
        case "middle": return copied[(copied.count - 1) / 2]
        case "last": return copied[copied.count - 1]
        default:
            guard let i = Int(unit), (1...copied.count).contains(i) else {
                throw StrategyError("unit = '\(unit)': write first, middle, last or a number from 1 to \(copied.count) (the copied units: \(copied.joined(separator: ", ")))")
            }
            return copied[i - 1]
        }
    }

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let (net, copied) = try engine.transferNetwork(for: task, copying: { Array($0.dropLast()) }, head: head)
        let trained = try Self.chosen(unit, of: copied)
        try engine.setLearningRateMultiplier(0, for: copied.filter { $0 != trained }, of: net)
        try engine.setLearningRateMultiplier(lrMult, for: [trained], of: net)
        engine.log("surgical: only \(trained) (of \(copied.count) copied units) trains (lr x\(lrMult)), with the new classifier")
        try engine.train(net, on: task.train, Training())
        return try engine.predict(net, task.eval)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(Surgical.self) }
