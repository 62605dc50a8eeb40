// A strategy's call to train, read from its harness_training struct of either ABI into what the
// engine runs: settings, conservation penalties and domain-adaptation terms. ABI 1 structs are
// read as they always were; in ABI 2 a zero (or NULL) means the host's default, so defaults live
// here and in the task, and loss terms arrive as data.
import CStrategyAPI
import Foundation

struct TrainingRequest {
    var settings: TrainingSettings
    var learningRate: Double
    var penalties: [Penalty] = []
    var adaptation: DomainAdaptation?
    /// The strategy asked for another rate than the task's (a divergence is then its doing).
    var rateChosenByStrategy: Bool

    static let defaultMomentum = 0.9
    static let defaultHiddenUnits = 256
    static let termKinds = ["l2sp", "distillation", "mmd", "coral", "adversarial"]

    init(_ t: harness_training, session s: HostSession, network: Network) throws {
        let v1Size = MemoryLayout<harness_training>.offset(of: \harness_training.terms)!
        let v2Size = MemoryLayout<harness_training>.size
        let size = Int(t.struct_size)
        guard size == v1Size || size == v2Size else {
            throw EngineError.invalidSpec("harness_training.struct_size is \(t.struct_size), expected \(v2Size) (ABI 2) or \(v1Size) (ABI 1)")
        }
        let v2 = size == v2Size
        func setting(_ value: Double, _ name: String, default fallback: Double) throws -> Double {
            guard v2 else { return value }
            if value == 0 { return fallback }
            if value == HARNESS_NONE { return 0 }
            guard value > 0, value.isFinite else { throw EngineError.invalidSpec("training \(name) must be positive, 0 (the default) or HARNESS_NONE, not \(value)") }
            return value
        }
        let task = s.task
        let epochs = v2 && t.epochs == 0 ? task.epochs : Int(t.epochs)
        let batch = v2 && t.batch_size == 0 ? task.batchSize : Int(t.batch_size)
        learningRate = v2 && t.learning_rate == 0 ? task.learningRate : t.learning_rate
        rateChosenByStrategy = learningRate != task.learningRate
        let momentum = try setting(t.momentum, "momentum", default: Self.defaultMomentum)
        let decay = try setting(t.weight_decay, "weight_decay", default: task.weightDecay)
        let scheduleText = t.schedule.map { String(cString: $0) } ?? "onecycle"
        guard let schedule = LearningRateSchedule(scheduleText) else { throw EngineError.invalidSpec("unknown schedule '\(scheduleText)'") }
        guard epochs >= 1, batch >= 1, learningRate > 0, learningRate.isFinite else {
            throw EngineError.invalidSpec("training needs epochs >= 1, batch_size >= 1 and learning_rate > 0 (got \(epochs), \(batch), \(learningRate))")
        }
        guard t.l1 >= 0 else { throw EngineError.invalidSpec("training l1 must not be negative, not \(t.l1)") }
        settings = TrainingSettings(
            epochs: epochs, batchSize: batch,
            optimizer: OptimizerSettings(learningRate: Float(learningRate), momentum: Float(momentum), weightDecay: Float(decay), l1: Float(t.l1)),
            schedule: schedule, seed: v2 && t.seed == 0 ? task.seed : t.seed)

        // ABI 1's conservation fields; in ABI 2 the same penalties are terms.
        if t.l2sp != 0 || t.distillation != 0 {
            guard t.l2sp >= 0, t.distillation >= 0 else { throw EngineError.invalidSpec("l2sp and distillation must not be negative") }
            let anchor = try s.network(t.anchor)
            if t.l2sp > 0 { penalties.append(L2SP(anchor: anchor, alpha: Float(t.l2sp))) }
            if t.distillation > 0 {
                penalties.append(FeatureDistillation(anchor: anchor, layer: t.distill_layer.map { String(cString: $0) } ?? Network.penultimate,
                                                     weight: Float(t.distillation)))
            }
        }
        guard v2, t.term_count > 0 else { return }
        guard let terms = t.terms else { throw EngineError.invalidSpec("harness_training.terms is NULL with term_count \(t.term_count)") }
        var domain: [DomainLossTerm] = []
        for i in 0..<Int(t.term_count) {
            let term = terms[i]
            let kind = term.kind.map { String(cString: $0) } ?? ""
            let layer = term.layer.map { String(cString: $0) } ?? Network.penultimate
            let options = try Self.options(term.options.map { String(cString: $0) }, of: kind)
            guard term.weight >= 0, term.weight.isFinite else {
                throw EngineError.invalidSpec("loss term \(kind): the weight must be a finite number >= 0, not \(term.weight)")
            }
            _ = try network.layerIndex(layer)  // a term on a layer the network lacks names it now
            switch kind {
            case "l2sp":
                penalties.append(L2SP(anchor: try s.network(term.anchor), alpha: Float(term.weight)))
            case "distillation":
                penalties.append(FeatureDistillation(anchor: try s.network(term.anchor), layer: layer, weight: Float(term.weight)))
            case "mmd":
                let bandwidths = try options["bandwidths"].map { text in
                    try text.split(separator: ",").map { part -> Double in
                        guard let b = Double(part.trimmingCharacters(in: .whitespaces)), b > 0 else {
                            throw EngineError.invalidSpec("loss term mmd: bandwidths are positive multiples like 0.25,0.5,1,2,4, not '\(text)'")
                        }
                        return b
                    }
                }
                domain.append(DomainLossTerm(.mmd(bandwidths.map { .relative($0) } ?? .dan), layer: layer, weight: term.weight, warmUp: term.warm_up != 0))
            case "coral":
                domain.append(DomainLossTerm(.coral, layer: layer, weight: term.weight, warmUp: term.warm_up != 0))
            case "adversarial":
                let hidden = try options["hidden"].map { text -> Int in
                    guard let h = Int(text), h >= 1 else { throw EngineError.invalidSpec("loss term adversarial: hidden must be a positive whole number, not '\(text)'") }
                    return h
                } ?? Self.defaultHiddenUnits
                domain.append(DomainLossTerm(.adversarial(hidden: hidden), layer: layer, weight: term.weight, warmUp: term.warm_up != 0))
            default:
                throw EngineError.invalidSpec("unknown loss term '\(kind)' (known: \(Self.termKinds.joined(separator: ", ")))")
            }
        }
        if !domain.isEmpty {
            guard let target = s.unlabelled, target.count > 0 else {
                throw TrainingError.noTargetImages
            }
            adaptation = DomainAdaptation(target: target, terms: domain)
        }
    }

    /// "key=value;key=value", checked against the keys each kind takes.
    static func options(_ text: String?, of kind: String) throws -> [String: String] {
        guard let text, !text.isEmpty else { return [:] }
        let allowed = ["mmd": ["bandwidths"], "adversarial": ["hidden"]][kind] ?? []
        var out: [String: String] = [:]
        for part in text.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, allowed.contains(kv[0]) else {
                throw EngineError.invalidSpec("loss term \(kind): option '\(part)' is not one of "
                                              + (allowed.isEmpty ? "(it takes none)" : allowed.map { "\($0)=..." }.joined(separator: ", ")))
            }
            out[kv[0]] = kv[1]
        }
        return out
    }
}
