// The training settings the host hands a strategy in its task (learning rate, epochs, weight
// decay). A configuration in strategies.json may fix them or give them a search space under
// "training", like its plugin's own parameters; the comparison's --lr and --epochs are the defaults.

/// A training setting a configuration may fix or search.
public enum TrainingSetting: String, CaseIterable, Codable, Sendable {
    case lr, epochs
    case weightDecay = "weight_decay"

    public var kind: ParameterKind { self == .epochs ? .int : .double }

    /// The values that make sense: a rate above 0, at least one epoch, a decay not below 0.
    public var range: ParameterRange {
        switch self {
        case .lr: return .numeric(minimum: 1e-12, maximum: nil)
        case .epochs: return .numeric(minimum: 1, maximum: nil)
        case .weightDecay: return .numeric(minimum: 0, maximum: nil)
        }
    }
}

/// The training settings of one cell.
public struct TrainingChoice: Codable, Equatable, Sendable, CustomStringConvertible {
    public var learningRate: Double
    public var epochs: Int
    public var weightDecay: Double

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
            }
        }
        set {
            switch setting {
            case .lr: learningRate = newValue.number ?? learningRate
            case .epochs: if case let .int(e) = newValue { epochs = e }
            case .weightDecay: weightDecay = newValue.number ?? weightDecay
            }
        }
    }

    /// "lr=0.05, epochs=10, weight_decay=0.0005", as in a cell's key.
    public var description: String { TrainingSetting.allCases.map { "\($0.rawValue)=\(self[$0])" }.joined(separator: ", ") }
}
