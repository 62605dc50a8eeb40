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
    public var training = Hyperparameters.comparisonDefaults
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

extension ComparisonRequest {
    /// The choices a rule can be about, by the names a front end shows them under (the CLI's are
    /// its flags: `ComparisonOptions` passes its own naming to `description(naming:)`).
    public enum Field: String, CaseIterable, Sendable {
        case seeds, trials, refit, validation, network
        case earlyStopping = "early_stopping", targetLabels = "target_labels", targetPerClass = "target_per_class"
        case evalPerClass = "eval_per_class", sourcePerClass = "source_per_class", sourceModel = "source_model", inputShape = "input_shape"
    }

    /// A request whose choices do not fit together, or a choice out of range, and what to do.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let fields: [Field]
        let message: @Sendable (_ name: (Field) -> String) -> String

        public var description: String { message { $0.rawValue } }
        public func description(naming: (Field) -> String) -> String { message(naming) }
    }

    public static let maximumSeeds = 1000
    public static let maximumTrials = 10_000

    /// Every rule that ties a comparison's choices together. The plan checks it before loading
    /// anything, so every front end gets the same rules.
    public func validate() throws(Invalid) {
        func fail(_ fields: Field..., message: @escaping @Sendable (_ name: (Field) -> String) -> String) -> Invalid {
            Invalid(fields: fields, message: message)
        }
        // Upper limits far beyond any sensible run, so that no count multiplies past an Int.
        guard (1...ComparisonRequest.maximumSeeds).contains(seeds) else {
            throw fail(.seeds) { "\($0(.seeds)) must be 1 to \(ComparisonRequest.maximumSeeds), not \(seeds)" }
        }
        guard (1...ComparisonRequest.maximumTrials).contains(trials) else {
            throw fail(.trials) { "\($0(.trials)) must be 1 to \(ComparisonRequest.maximumTrials), not \(trials)" }
        }
        for (field, value) in [(Field.targetPerClass, targetPerClass), (.evalPerClass, evalPerClass), (.sourcePerClass, sourcePerClass)] {
            if let k = value, k < 1 { throw fail(field) { "\($0(field)) must be at least 1 (or left out for all images), not \(k)" } }
        }
        let selects = trials > 1 || refit || earlyStopping
        if (validation?.isEmpty ?? true) && selects {
            throw fail(.trials, .refit, .earlyStopping, .validation) {
                "\($0(.trials)), \($0(.refit)) and \($0(.earlyStopping)) choose on validation images, and \($0(.validation)) 0 holds none out"
            }
        }
        if let k = targetLabels {
            guard k >= 0 else { throw fail(.targetLabels) { "\($0(.targetLabels)) must not be negative" } }
            if k == 0 && selects {
                throw fail(.targetLabels, .trials) {
                    "\($0(.targetLabels)) 0 leaves no labelled target image to hold out for validation, so \($0(.trials)), \($0(.refit)) and \($0(.earlyStopping)) cannot choose"
                }
            }
            if let perClass = targetPerClass, k > perClass {
                throw fail(.targetLabels, .targetPerClass) { "\($0(.targetLabels)) \(k) exceeds \($0(.targetPerClass)) \(perClass), the target's training images per class" }
            }
            if sourceModel != nil {
                throw fail(.targetLabels, .sourceModel) {
                    "\($0(.targetLabels)) gives adaptation strategies the source's labelled images, so it needs source data, not \($0(.sourceModel))"
                }
            }
        }
        if refit && earlyStopping {
            throw fail(.refit, .earlyStopping) {
                "\($0(.refit)) retrains on the validation images too, so nothing is left to stop early on; use one of \($0(.refit)) and \($0(.earlyStopping))"
            }
        }
        if sourceModel != nil && network != .standard {
            throw fail(.sourceModel, .network) {
                "\($0(.sourceModel)) brings its own network; \($0(.network)) chooses the one a source network is trained as, not both"
            }
        }
        if sourceModel != nil && inputShape != nil {
            throw fail(.inputShape, .sourceModel) { "\($0(.inputShape)) is for a network trained here; a \($0(.sourceModel)) decides its own input" }
        }
    }
}
