// Everything a comparison's user chooses, in one form: the CLI fills it from its options, tests
// and other front ends fill it directly, and `ComparisonPlan` turns it into source networks to
// train and cells to run.
import HarnessData
import HarnessEngine
import StrategyHost

public struct ComparisonRequest: Sendable {
    public var data: DataPair
    /// Transfer from this trained network instead of training one on `data.source`.
    public var sourceModel: String?
    /// The input of a network trained here (nil: the source data's own shape).
    public var inputShape: InputShape?
    public var skipUndecodable = false
    /// The architecture a source network is trained as.
    public var network = NetworkChoice.standard
    /// Training images per target class (nil: all), evaluation images per target class (nil: the
    /// whole test set), training images per source class for the source network (nil: all).
    public var targetPerClass: Int? = 100
    public var evalPerClass: Int?
    public var sourcePerClass: Int?
    /// Seeds 1...seeds per strategy.
    public var seeds = 3
    /// How each strategy trains over the target images (strategies.json and trials may change
    /// it per configuration); the self-transfer network trains with it too.
    public var training = Hyperparameters.defaults
    /// How the source network trains: its own value, so a target's learning rate never
    /// retrains the (cached) source network.
    public var sourceTraining = Hyperparameters.sourceDefaults
    /// Draws the class split, the source's training images and the source network's initialisation.
    public var splitSeed: UInt64 = 1
    /// Held out of the target's training images for choosing between trials (nil: none).
    public var validation: ValidationSplit? = ValidationSplit("20%")
    public var trials = 1
    public var search = SearchMethod.random
    /// After selection, retrain each selected configuration on training + validation images.
    public var refit = false
    public var earlyStopping = false
    /// A domain-shift scenario: labelled target training images per class (0: unsupervised).
    public var targetLabels: Int?

    public init(data: DataPair) { self.data = data }
}
