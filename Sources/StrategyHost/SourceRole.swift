// Where a strategy's source network comes from: the network trained on the source data (A, or a
// --source-model), or the self-transfer control trained on the target itself (Yosinski's baseB,
// which BnB copies from).
public enum SourceRole: String, Codable, Sendable, CaseIterable {
    case base
    case `self`

    /// How notes and tables name the network.
    public var networkName: String { self == .self ? "self-transfer" : "source" }
}
