// A named configuration of a strategy plugin, as strategies.json gives it (or as a command builds
// one, like transfer-curve's grid): fixed values, search spaces, and the network it transfers from.
import HarnessSupport
import HarnessEngine

public struct StrategyConfiguration: Equatable, Sendable {
    public typealias Source = SourceRole
    public var name: String
    public var strategy: String
    /// Parameters given a fixed value (the plugin's defaults fill the rest).
    public var parameters: [(String, ParameterValue)]
    /// Hyperparameters given a fixed value (the comparison's fill the rest).
    public var training: [(Hyperparameter, ParameterValue)] = []
    /// Hyperparameters given a search space, which `--trials` draws from.
    public var searches: [SearchedHyperparameter] = []
    public var source: Source
    /// The point of the transfer curve this configuration is the template of (its "curve" in
    /// strategies.json), and the parameter the curve sets to each number of copied units.
    public var curve: CurvePoint?
    public var description: String
    /// file:line:column of this entry, for messages.
    public var place: String
    /// file:line:column of each parameter.
    var parameterPlaces: [String: String]

    /// A configuration made in code rather than read from strategies.json (transfer-curve's grid).
    public init(name: String, strategy: String, parameters: [(String, ParameterValue)], source: Source,
                description: String, place: String, parameterPlaces: [String: String] = [:]) {
        self.name = name
        self.strategy = strategy
        self.parameters = parameters
        self.source = source
        self.description = description
        self.place = place
        self.parameterPlaces = parameterPlaces
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.name == b.name && a.strategy == b.strategy && a.source == b.source && a.description == b.description
            && a.parameters.map(\.0) == b.parameters.map(\.0) && a.parameters.map(\.1) == b.parameters.map(\.1)
            && a.training.map(\.0) == b.training.map(\.0) && a.training.map(\.1) == b.training.map(\.1) && a.searches == b.searches
            && a.curve == b.curve
    }

    /// `"curve": { "point": "AnB", "copies": "layers" }`: the treatment, and the parameter set to
    /// n (a string parameter gets "1-n", an integer n; none for baseB).
    public struct CurvePoint: Equatable, Sendable {
        public var point: String
        public var copies: String?

        public init(point: String, copies: String?) {
            self.point = point
            self.copies = copies
        }
    }
}
