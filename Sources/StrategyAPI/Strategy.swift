// Writing a transfer strategy in Swift: conform to `Strategy`, then export it in one line:
//
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
    static var parameters: [StrategyParameter] { get }

    /// Receives the parameters (already type-checked and defaulted by the host); throw to refuse them.
    init(_ values: StrategyValues) throws

    /// One predicted class per evaluation image.
    func run(_ task: Task, engine: Engine) throws -> [Int32]
}

/// A parameter, declared once: its type, default, the values it may take and a line of help. The
/// host checks configurations and search spaces in strategies.json against it before any run.

public struct StrategyValues {
    let values: [String: harness_value]
    let strings: [String: String]

    public func int(_ name: String) -> Int { Int(values[name]?.integer ?? 0) }
    public func double(_ name: String) -> Double { values[name]?.number ?? 0 }
    public func bool(_ name: String) -> Bool { (values[name]?.integer ?? 0) != 0 }
    public func string(_ name: String) -> String { strings[name] ?? "" }
}

/// A failure to report to the harness, which shows it in the result row.

extension StrategyValues {
    /// The value of a `StrategyParameter.head` parameter (the host has checked it).
    public func head(_ name: String = "head") -> HeadStart { HeadStart(rawValue: string(name)) ?? .xavier }
}

public struct StrategyError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
