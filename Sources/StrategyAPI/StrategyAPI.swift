// The boundary between the harness and transfer strategies (one .so each under Plugins/).
//
// Only the version lives here so far: the C contract (entry symbol, descriptor, host engine
// table) and the Swift protocol over it are the work of the strategy-plugin issue.

public enum StrategyAPI {
    /// Bumped on any change a compiled plugin could notice.
    public static let abiVersion: UInt32 = 0
}
