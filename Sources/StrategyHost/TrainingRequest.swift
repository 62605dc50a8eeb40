// A strategy's call to train, read from its harness_training struct of either ABI into what the
// engine runs: settings, conservation penalties and domain-adaptation terms. ABI 1 structs are
// read as they always were; in ABI 2 a zero (or NULL) means the cell's own hyperparameter (the
// task's Hyperparameters, whose defaults have one table), and loss terms arrive as data.
import CStrategyAPI
import Foundation
import HarnessEngine

struct TrainingRequest {
    /// What this run trains with: the task's hyperparameters where the strategy gave a zero
    /// (ABI 2), the strategy's own values elsewhere; checked by `Hyperparameters.validated()`.
    var hyperparameters: Hyperparameters
    var seed: UInt64
    var penalties: [Penalty] = []
    var adaptation: DomainAdaptation?
    /// The strategy asked for another rate than the task's (a divergence is then its doing).
    var rateChosenByStrategy: Bool

    static let defaultHiddenUnits = 256
    static let termKinds = ["l2sp", "distillation", "mmd", "coral", "adversarial"]

    init(_ t: harness_training, session s: HostSession, network: Network) throws {
        let v1Size = MemoryLayout<harness_training>.offset(of: \harness_training.terms)!
        let v2Size = MemoryLayout<harness_training>.size
        let size = Int(t.struct_size)
        guard size == v1Size || size == v2Size else { throw TrainingRequestError.structSize(Int(t.struct_size), v2: v2Size, v1: v1Size) }
        let v2 = size == v2Size
        let task = s.task.training
        /// ABI 2: 0 means the task's value, HARNESS_NONE means none (0).
        func setting(_ value: Double, _ name: Hyperparameter, default fallback: Double) throws -> Double {
            guard v2 else { return value }
            if value == 0 { return fallback }
            if value == HARNESS_NONE { return 0 }
            guard value > 0, value.isFinite else { throw TrainingRequestError.badSetting(name.rawValue, value) }
            return value
        }
        var h = task
        h.epochs = v2 && t.epochs == 0 ? task.epochs : Int(t.epochs)
        h.batchSize = v2 && t.batch_size == 0 ? task.batchSize : Int(t.batch_size)
        h.learningRate = v2 && t.learning_rate == 0 ? task.learningRate : t.learning_rate
        h.momentum = try setting(t.momentum, .momentum, default: task.momentum)
        h.weightDecay = try setting(t.weight_decay, .weightDecay, default: task.weightDecay)
        h.l1 = t.l1 == 0 ? task.l1 : t.l1
        if let text = t.schedule.map({ String(cString: $0) }) {
            guard let schedule = LearningRateSchedule(text) else { throw TrainingRequestError.unknownSchedule(text) }
            h.schedule = schedule
        }
        do { hyperparameters = try h.validated() } catch { throw TrainingRequestError.hyperparameter(error) }
        rateChosenByStrategy = h.learningRate != task.learningRate
        seed = v2 && t.seed == 0 ? s.task.seed : t.seed

        // ABI 1's conservation fields; in ABI 2 the same penalties are terms.
        if t.l2sp != 0 || t.distillation != 0 {
            guard t.l2sp >= 0, t.distillation >= 0 else { throw TrainingRequestError.negativeConservation(l2sp: t.l2sp, distillation: t.distillation) }
            let anchor = try s.network(t.anchor)
            if t.l2sp > 0 { penalties.append(L2SP(anchor: anchor, alpha: Float(t.l2sp))) }
            if t.distillation > 0 {
                penalties.append(FeatureDistillation(anchor: anchor, layer: t.distill_layer.map { String(cString: $0) } ?? Network.penultimate,
                                                     weight: Float(t.distillation)))
            }
        }
        guard v2, t.term_count > 0 else { return }
        guard let terms = t.terms else { throw TrainingRequestError.nullTerms(count: Int(t.term_count)) }
        var domain: [DomainLossTerm] = []
        for i in 0..<Int(t.term_count) {
            let term = terms[i]
            let kind = term.kind.map { String(cString: $0) } ?? ""
            let layer = term.layer.map { String(cString: $0) } ?? Network.penultimate
            let options = try Self.options(term.options.map { String(cString: $0) }, of: kind)
            guard term.weight >= 0, term.weight.isFinite else { throw TrainingRequestError.termWeight(kind: kind, weight: term.weight) }
            _ = try network.layerIndex(layer)  // a term on a layer the network lacks names it now
            switch kind {
            case "l2sp":
                penalties.append(L2SP(anchor: try s.network(term.anchor), alpha: Float(term.weight)))
            case "distillation":
                penalties.append(FeatureDistillation(anchor: try s.network(term.anchor), layer: layer, weight: Float(term.weight)))
            case "mmd":
                let bandwidths = try options["bandwidths"].map { text in
                    try text.split(separator: ",").map { part -> Double in
                        guard let b = Double(part.trimmingCharacters(in: .whitespaces)), b > 0 else { throw TrainingRequestError.bandwidths(text) }
                        return b
                    }
                }
                domain.append(DomainLossTerm(.mmd(bandwidths.map { .relative($0) } ?? .dan), layer: layer, weight: term.weight, warmUp: term.warm_up != 0))
            case "coral":
                domain.append(DomainLossTerm(.coral, layer: layer, weight: term.weight, warmUp: term.warm_up != 0))
            case "adversarial":
                let hidden = try options["hidden"].map { text -> Int in
                    guard let h = Int(text), h >= 1 else { throw TrainingRequestError.hiddenUnits(text) }
                    return h
                } ?? Self.defaultHiddenUnits
                domain.append(DomainLossTerm(.adversarial(hidden: hidden), layer: layer, weight: term.weight, warmUp: term.warm_up != 0))
            default:
                throw TrainingRequestError.unknownTerm(kind)
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
            guard kv.count == 2, allowed.contains(kv[0]) else { throw TrainingRequestError.termOption(kind: kind, option: String(part), allowed: allowed) }
            out[kv[0]] = kv[1]
        }
        return out
    }
}

/// A strategy's call to train that the host cannot run, by what is wrong with it.
enum TrainingRequestError: Error, CustomStringConvertible {
    case structSize(Int, v2: Int, v1: Int)
    case badSetting(String, Double)
    case unknownSchedule(String)
    case hyperparameter(HyperparameterError)
    case negativeConservation(l2sp: Double, distillation: Double)
    case nullTerms(count: Int)
    case termWeight(kind: String, weight: Double)
    case termOption(kind: String, option: String, allowed: [String])
    case bandwidths(String)
    case hiddenUnits(String)
    case unknownTerm(String)

    var description: String {
        switch self {
        case let .structSize(size, v2, v1):
            return "harness_training.struct_size is \(size), expected \(v2) (ABI 2) or \(v1) (ABI 1)"
        case let .badSetting(name, value):
            return "training \(name) must be positive, 0 (the default) or HARNESS_NONE, not \(value)"
        case let .unknownSchedule(text):
            return "unknown schedule '\(text)' (known: onecycle, cosine, constant, step:EPOCHS:GAMMA)"
        case let .hyperparameter(error):
            return "training request: \(error)"
        case let .negativeConservation(l2sp, distillation):
            return "l2sp and distillation must not be negative (got \(l2sp) and \(distillation))"
        case let .nullTerms(count):
            return "harness_training.terms is NULL with term_count \(count)"
        case let .termWeight(kind, weight):
            return "loss term \(kind): the weight must be a finite number >= 0, not \(weight)"
        case let .termOption(kind, option, allowed):
            return "loss term \(kind): option '\(option)' is not one of " + (allowed.isEmpty ? "(it takes none)" : allowed.map { "\($0)=..." }.joined(separator: ", "))
        case let .bandwidths(text):
            return "loss term mmd: bandwidths are positive multiples like 0.25,0.5,1,2,4, not '\(text)'"
        case let .hiddenUnits(text):
            return "loss term adversarial: hidden must be a positive whole number, not '\(text)'"
        case let .unknownTerm(kind):
            return "unknown loss term '\(kind)' (known: \(TrainingRequest.termKinds.joined(separator: ", ")))"
        }
    }
}
