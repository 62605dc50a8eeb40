// The training settings the host hands a strategy in its task (learning rate, epochs, weight
// decay), and what the host does with batch normalisation's statistics in every training run. A configuration in strategies.json may fix them or give them a search space under
// "training", like its plugin's own parameters; the comparison's --lr and --epochs are the defaults.

/// A training setting a configuration may fix or search.
public enum TrainingSetting: String, CaseIterable, Codable, Sendable {
    case lr, epochs
    case weightDecay = "weight_decay"
    case batchNorm = "batch_norm"

    public var kind: ParameterKind {
        switch self {
        case .epochs: return .int
        case .batchNorm: return .string
        default: return .double
        }
    }

    /// The values that make sense: a rate above 0, at least one epoch, a decay not below 0.
    public var range: ParameterRange {
        switch self {
        case .lr: return .numeric(minimum: 1e-12, maximum: nil)
        case .epochs: return .numeric(minimum: 1, maximum: nil)
        case .weightDecay: return .numeric(minimum: 0, maximum: nil)
        case .batchNorm: return .oneOf(BatchNormStatistics.allCases.map(\.rawValue))
        }
    }
}

/// The training settings of one cell.
public struct TrainingChoice: Codable, Equatable, Sendable, CustomStringConvertible {
    public var learningRate: Double
    public var epochs: Int
    public var weightDecay: Double
    /// nil: `.batch`, PyTorch's behaviour (and then absent from the description, so cells of
    /// networks without batch normalisation keep their keys).
    public var batchNorm: BatchNormStatistics?

    public var batchNormStatistics: BatchNormStatistics { batchNorm ?? .batch }

    /// The harness's weight decay when nothing chooses another (the engine's default too).
    public static let defaultWeightDecay = 5e-4

    public init(learningRate: Double, epochs: Int, weightDecay: Double = TrainingChoice.defaultWeightDecay) {
        self.learningRate = learningRate
        self.epochs = epochs
        self.weightDecay = weightDecay
    }

    public subscript(setting: TrainingSetting) -> ParameterValue {
        get {
            switch setting {
            case .lr: return .double(learningRate)
            case .epochs: return .int(epochs)
            case .weightDecay: return .double(weightDecay)
            case .batchNorm: return .string(batchNormStatistics.rawValue)
            }
        }
        set {
            switch setting {
            case .lr: learningRate = newValue.number ?? learningRate
            case .epochs: if case let .int(e) = newValue { epochs = e }
            case .weightDecay: weightDecay = newValue.number ?? weightDecay
            case .batchNorm:
                if case let .string(s) = newValue, let mode = BatchNormStatistics(rawValue: s) { batchNorm = mode == .batch ? nil : mode }
            }
        }
    }

    /// "lr=0.05, epochs=10, weight_decay=0.0005", as in a cell's key.
    public var description: String {
        TrainingSetting.allCases.filter { $0 != .batchNorm || batchNorm != nil }.map { "\($0.rawValue)=\(self[$0])" }.joined(separator: ", ")
    }
}
