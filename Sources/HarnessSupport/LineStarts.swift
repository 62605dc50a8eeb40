// Where each line of a text starts, so that a byte offset found by a parser becomes the
// `line:column` an error message gives (both from 1), by binary search: a file of 10,000
// entries once took minutes when each position counted lines from the start.
public struct LineStarts: Sendable {
    private let starts: [Int]

    public init(_ bytes: [UInt8]) {
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.starts = starts
    }

    /// Line and column (both from 1, the column in bytes) of a byte offset.
    public func lineColumn(of offset: Int) -> (line: Int, column: Int) {
        var lo = 0, hi = starts.count
        while lo < hi { let mid = (lo + hi) / 2; if starts[mid] <= offset { lo = mid + 1 } else { hi = mid } }
        let line = max(lo - 1, 0)
        return (line + 1, offset - starts[line] + 1)
    }
}
