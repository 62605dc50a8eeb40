// A comparison that cannot be planned or run, in one line that says what to do.
public struct ComparisonError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
