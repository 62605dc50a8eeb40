// Training hyperparameters: one value that travels unchanged from the user (CLI options,
// strategies.json's "training", search spaces) through the comparison, each cell and the task a
// strategy receives down to the trainer. One table of defaults (`Hyperparameters.defaults`), one
// range per name (`Hyperparameter.range`), one check (`validated()`). Its JSON form leaves out
// every value equal to its default, so keys made from it never change when a field is added.
import Foundation
import HarnessSupport

/// The name of one hyperparameter, as strategies.json, search spaces, tables and keys write it.
public enum Hyperparameter: String, CaseIterable, Codable, Sendable {
    case lr, epochs
    case batchSize = "batch_size"
    case weightDecay = "weight_decay"
    case momentum, l1, schedule
    case batchNorm = "batch_norm"
    case augment
    case minSteps = "min_steps"
    case precision

    public var kind: ParameterKind {
        switch self {
        case .epochs, .batchSize, .minSteps: return .int
        case .schedule, .batchNorm, .augment, .precision: return .string
        default: return .double
        }
    }

    /// The values that make sense; `validated()` and strategies.json check against this.
    public var range: ParameterRange {
        switch self {
        // No upper bound on rates or penalties: a divergence is caught while training, and named.
        case .lr: return .numeric(minimum: 1e-12, maximum: nil)
        case .epochs: return .numeric(minimum: 1, maximum: Double(Hyperparameters.maximumEpochs))
        case .batchSize: return .numeric(minimum: 1, maximum: Double(Hyperparameters.maximumBatchSize))
        case .weightDecay, .l1: return .numeric(minimum: 0, maximum: nil)
        case .momentum: return .numeric(minimum: 0, maximum: 0.999999)
        case .schedule: return .oneOf(["onecycle", "cosine", "constant", "step:EPOCHS:GAMMA"])
        case .batchNorm: return .oneOf(BatchNormStatistics.allCases.map(\.rawValue))
        case .augment: return .oneOf(["none", "flip", "crop", "crop:MIN", "crop+flip", "crop:MIN+flip"])
        case .minSteps: return .numeric(minimum: 0, maximum: Double(Hyperparameters.maximumSteps))
        case .precision: return .oneOf(Precision.allCases.map(\.rawValue))
        }
    }

    /// Whether `value` is a valid setting: of the right kind and within `range` (a schedule
    /// when it parses).
    public func accepts(_ value: ParameterValue) -> Bool {
        switch (self, value) {
        case let (.schedule, .string(s)): return LearningRateSchedule(s) != nil
        case let (.augment, .string(s)): return Augmentation(s) != nil
        case (.lr, .int), (.weightDecay, .int), (.momentum, .int), (.l1, .int): return range.contains(.double(value.number!))
        default: return value.kind == kind && range.contains(value)
        }
    }

    /// One line for help texts and docs.
    public var help: String {
        switch self {
        case .lr: return "base learning rate (the peak rate for onecycle)"
        case .epochs: return "passes over the training images"
        case .batchSize: return "images per minibatch"
        case .weightDecay: return "L2 weight decay on weights (not biases)"
        case .momentum: return "SGD momentum (onecycle cycles it between 0.85 and 0.95 itself, so it is fixed at 0.9 there)"
        case .l1: return "L1 penalty on weights (not biases)"
        case .schedule: return "learning-rate schedule: onecycle, cosine, constant or step:EPOCHS:GAMMA"
        case .batchNorm: return "batch normalisation's statistics: batch (PyTorch's train mode), frozen (frozen layers keep theirs) or adabn"
        case .augment: return "training-image augmentation: none, flip, crop (random resized crop, 8-100% of the area), crop:MIN, or crop+flip"
        case .minSteps: return "fewest optimiser steps of every training run: a run over few images gets more epochs until it takes this many (0: the epochs as given)"
        case .precision: return "arithmetic of convolutions and matrix products: fp32, or bf16 (bfloat16 products summed in fp32, weights and optimiser in fp32; only on processors with native bf16)"
        }
    }
}

public struct Hyperparameters: Hashable, Sendable {
    public var learningRate: Double
    public var epochs: Int
    public var batchSize: Int
    public var weightDecay: Double
    public var momentum: Double
    public var l1: Double
    public var schedule: LearningRateSchedule
    public var batchNorm: BatchNormStatistics
    public var augmentation: Augmentation = .none
    /// Every training run takes at least this many SGD steps (its epochs are raised to reach
    /// them): with 100 images and batch 64 ten epochs are ten steps, too few to compare
    /// strategies on (docs/guide.md, "Training budgets"). 0 in the engine's table; comparisons
    /// use `comparisonDefaults`.
    public var minSteps = 0
    /// fp32, or bf16 products where the processor has them (Precision.swift).
    public var precision = Precision.fp32

    /// The one table of defaults: every training run that nothing else configures uses these.
    public static let defaults = Hyperparameters(learningRate: 0.05, epochs: 10, batchSize: 64, weightDecay: 5e-4, momentum: 0.9, l1: 0,
                                                 schedule: .oneCycle, batchNorm: .batch)
    /// What a comparison's strategies train with unless told otherwise: the defaults, with a
    /// budget of at least 300 steps per training run (chosen by measurement: docs/guide.md,
    /// "Training budgets"), and frozen layers keeping their batch-normalisation statistics
    /// (Keras's practice for frozen layers; a frozen prefix then computes the same outputs in
    /// every epoch, which the prefix cache relies on). Rows stored before either read as
    /// min_steps 0 and batch_norm batch, so their keys never match a newer cell's.
    public static let comparisonDefaults = defaults.with(.minSteps, .int(300)).with(.batchNorm, .string(BatchNormStatistics.frozen.rawValue))
    /// A comparison's source network: the defaults, trained for 3 epochs (it is trained once and cached).
    public static let sourceDefaults = defaults.with(.epochs, .int(3))

    /// Past these, a value is a typo or an attack, not a setting (and would overflow a step count).
    public static let maximumEpochs = 100_000
    public static let maximumBatchSize = 65_536
    public static let maximumSteps = 10_000_000

    public init(learningRate: Double, epochs: Int, batchSize: Int, weightDecay: Double, momentum: Double, l1: Double,
                schedule: LearningRateSchedule, batchNorm: BatchNormStatistics) {
        self.learningRate = learningRate
        self.epochs = epochs
        self.batchSize = batchSize
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.l1 = l1
        self.schedule = schedule
        self.batchNorm = batchNorm
    }

    /// Read and written by name: what strategies.json's "training", search spaces and trials use.
    /// A value's kind is checked where it is parsed (`Hyperparameter.kind`); a number given as an
    /// integer is taken as a double.
    public subscript(name: Hyperparameter) -> ParameterValue {
        get {
            switch name {
            case .lr: return .double(learningRate)
            case .epochs: return .int(epochs)
            case .batchSize: return .int(batchSize)
            case .weightDecay: return .double(weightDecay)
            case .momentum: return .double(momentum)
            case .l1: return .double(l1)
            case .schedule: return .string(schedule.description)
            case .batchNorm: return .string(batchNorm.rawValue)
            case .augment: return .string(augmentation.description)
            case .minSteps: return .int(minSteps)
            case .precision: return .string(precision.rawValue)
            }
        }
        set {
            func number() -> Double {
                guard let x = newValue.number else { preconditionFailure("\(name.rawValue) takes a number, not \(newValue)") }
                return x
            }
            func integer() -> Int {
                guard case let .int(i) = newValue else { preconditionFailure("\(name.rawValue) takes an integer, not \(newValue)") }
                return i
            }
            func text() -> String {
                guard case let .string(s) = newValue else { preconditionFailure("\(name.rawValue) takes a string, not \(newValue)") }
                return s
            }
            switch name {
            case .lr: learningRate = number()
            case .epochs: epochs = integer()
            case .batchSize: batchSize = integer()
            case .weightDecay: weightDecay = number()
            case .momentum: momentum = number()
            case .l1: l1 = number()
            case .schedule:
                guard let s = LearningRateSchedule(text()) else { preconditionFailure("unchecked schedule \(newValue)") }
                schedule = s
            case .batchNorm:
                guard let b = BatchNormStatistics(rawValue: text()) else { preconditionFailure("unchecked batch_norm \(newValue)") }
                batchNorm = b
            case .augment:
                guard let a = Augmentation(text()) else { preconditionFailure("unchecked augment \(newValue)") }
                augmentation = a
            case .minSteps: minSteps = integer()
            case .precision:
                guard let p = Precision(rawValue: text()) else { preconditionFailure("unchecked precision \(newValue)") }
                precision = p
            }
        }
    }

    /// A copy with one value changed.
    public func with(_ name: Hyperparameter, _ value: ParameterValue) -> Hyperparameters {
        var copy = self
        copy[name] = value
        return copy
    }

    /// The batch a run over `count` images uses: batch_size, or all of them when fewer.
    public func batch(images count: Int) -> Int { max(1, min(batchSize, count)) }

    /// SGD steps an epoch over `count` images: whole batches (the last partial one is dropped,
    /// as a fixed batch size keeps one set of kernels), at least one.
    public func stepsPerEpoch(images count: Int) -> Int { max(count / batch(images: count), 1) }

    /// The epochs a run over `count` images takes: `epochs`, or more to reach `minSteps` steps.
    public func effectiveEpochs(images count: Int) -> Int {
        let perEpoch = stepsPerEpoch(images: count)
        return max(epochs, (minSteps + perEpoch - 1) / perEpoch)
    }

    /// The names whose values differ from `defaults`, in table order.
    public var changed: [Hyperparameter] { Hyperparameter.allCases.filter { self[$0] != Self.defaults[$0] } }

    /// Every value within its range, and no value that another makes meaningless.
    public func validated() throws(HyperparameterError) -> Hyperparameters {
        for name in Hyperparameter.allCases {
            guard name.accepts(self[name]) else { throw .outOfRange(name, value: self[name], allowed: name.range.phrase) }
        }
        if schedule == .oneCycle, momentum != Self.defaults.momentum {
            throw .momentumUnderOneCycle(momentum)
        }
        return self
    }

    /// "lr=0.05, epochs=10, batch_size=64": every value, for captions and logs.
    public var summary: String { Hyperparameter.allCases.map { "\($0.rawValue)=\(Self.short(self[$0]))" }.joined(separator: ", ") }

    /// Only what differs from the defaults ("defaults" when nothing does).
    public var changesSummary: String {
        let c = changed
        return c.isEmpty ? "defaults" : c.map { "\($0.rawValue)=\(Self.short(self[$0]))" }.joined(separator: ", ")
    }

    public static func short(_ v: ParameterValue) -> String {
        if case let .string(s) = v { return s }
        return "\(v)"
    }

    /// The canonical JSON form: sorted keys, defaults left out ("{}" for the defaults). Keys
    /// built from it stay the same when a hyperparameter is added.
    public var canonicalJSON: String {
        String(decoding: (try? HarnessJSON.canonical.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

public enum HyperparameterError: Error, Equatable, CustomStringConvertible {
    case outOfRange(Hyperparameter, value: ParameterValue, allowed: String)
    case momentumUnderOneCycle(Double)
    case unknown(String)

    public var description: String {
        switch self {
        case let .outOfRange(name, value, allowed):
            return "hyperparameter \(name.rawValue) must be \(allowed), not \(Hyperparameters.short(value))"
        case let .momentumUnderOneCycle(m):
            return "momentum \(m) is set, but the onecycle schedule cycles momentum between 0.85 and 0.95 itself. "
                + "help: choose schedule constant, cosine or step:EPOCHS:GAMMA to set momentum"
        case let .unknown(name):
            return "unknown hyperparameter '\(name)' (known: \(Hyperparameter.allCases.map(\.rawValue).joined(separator: ", ")))"
        }
    }
}

extension Hyperparameters: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Missing names take their defaults; an unknown name is an error, never ignored.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        var h = Self.defaults
        for key in c.allKeys {
            guard let name = Hyperparameter(rawValue: key.stringValue) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: HyperparameterError.unknown(key.stringValue).description)
            }
            let value: ParameterValue
            switch name.kind {
            case .int: value = .int(try c.decode(Int.self, forKey: key))
            case .double: value = .double(try c.decode(Double.self, forKey: key))
            default:
                let text = try c.decode(String.self, forKey: key)
                guard name.accepts(.string(text)) else {
                    throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(name.rawValue) must be \(name.range.phrase), not '\(text)'")
                }
                value = .string(text)
            }
            h[name] = value
        }
        self = h
    }

    /// Only what differs from the defaults.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for name in changed {
            let key = Key(stringValue: name.rawValue)
            switch self[name] {
            case let .int(i): try c.encode(i, forKey: key)
            case let .double(x): try c.encode(x, forKey: key)
            case let .string(s): try c.encode(s, forKey: key)
            case let .bool(b): try c.encode(b, forKey: key)
            }
        }
    }
}
