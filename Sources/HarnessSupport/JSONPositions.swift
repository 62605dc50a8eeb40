// Where things are in a JSON text, so that an error about a value read from a file can say
// `file:line:column`. Foundation's parsers keep no positions; this walks text a parser has
// already accepted and records the offset of every object key and array element by its path
// ("layers[3].strides", "layers[3]").
import Foundation

public struct JSONPositions: Sendable {
    private var offsets: [String: Int] = [:]
    private let lines: LineStarts

    public init(_ data: Data) {
        let bytes = [UInt8](data)
        lines = LineStarts(bytes)
        var i = 0
        func skipSpace() { while i < bytes.count, [9, 10, 13, 32].contains(bytes[i]) { i += 1 } }
        func skipString() {
            i += 1
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
            i += 1
        }
        func value(_ path: String) {
            skipSpace()
            guard i < bytes.count else { return }
            offsets[path] = i
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                while true {
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { break }
                    let start = i
                    skipString()
                    let key = String(decoding: bytes[(start + 1)..<max(start + 1, i - 1)], as: UTF8.self)
                    let keyPath = path.isEmpty ? key : path + "." + key
                    offsets[keyPath] = start
                    skipSpace()
                    if i < bytes.count, bytes[i] == UInt8(ascii: ":") { i += 1 }
                    let before = offsets[keyPath]
                    value(keyPath)
                    offsets[keyPath] = before  // a key's position is the key's, not its value's
                    skipSpace()
                    if i < bytes.count, bytes[i] == UInt8(ascii: ",") { i += 1 } else { break }
                }
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1 }
            case UInt8(ascii: "["):
                i += 1
                var index = 0
                while true {
                    skipSpace()
                    if i < bytes.count, bytes[i] == UInt8(ascii: "]") { break }
                    value("\(path)[\(index)]")
                    index += 1
                    skipSpace()
                    if i < bytes.count, bytes[i] == UInt8(ascii: ",") { i += 1 } else { break }
                }
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1 }
            case UInt8(ascii: "\""):
                skipString()
            default:
                while i < bytes.count, !",]}".utf8.contains(bytes[i]), ![9, 10, 13, 32].contains(bytes[i]) { i += 1 }
            }
        }
        value("")
    }

    /// "line:column" (both from 1) of a path's key or element, or nil if the text has none.
    public func place(_ path: String) -> String? {
        guard let offset = offsets[path] else { return nil }
        let (line, column) = lines.lineColumn(of: offset)
        return "\(line):\(column)"
    }
}
