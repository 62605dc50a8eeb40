// Writing a transfer strategy in Swift: conform to `Strategy`, declare its parameters as
// `@Parameter` properties, then export it in one line:
//
//     struct FreezeN: Strategy {
//         static let name = "freeze-n", version = "1.1", summary = "first n layers copied and frozen, …"
//         @Parameter(range: "0..", help: "how many layers to copy and freeze") var n = 3
//         func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] { … }
//     }
//     @_cdecl("harness_strategy_entry_v2")
//     public func entry() -> UnsafeRawPointer { export(FreezeN.self) }
//
// Under the hood only C types from harness_strategy.h cross into the host. A Swift protocol
// shared between host and plugin would not work: SwiftPM links this module into the host and
// into every plugin separately, each copy has its own type metadata, and casts across the
// boundary fail silently.
@_exported import CStrategyAPI

public protocol Strategy {
    /// The name strategies.json uses, e.g. "freeze-n".
    static var name: String { get }
    static var version: String { get }
    static var summary: String { get }

    /// Every parameter at its default; the export then sets each from the configuration.
    init()

    /// Called once the parameters are set (the host has checked each against its type and
    /// range); throw to refuse a combination, with the reason the user will read.
    func validate() throws

    /// One predicted class per evaluation image.
    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32]
}

extension Strategy {
    public func validate() throws {}

    /// The `@Parameter` properties, in declaration order, as the host sees them.
    public static var parameters: [StrategyParameter] { declaredParameters(of: Self()).map(\.0) }
}

/// A failure to report to the harness, which shows it in the result row.
public struct StrategyError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
