// A content hash that is the same on every run and machine (Swift's Hasher is seeded per
// process, so it cannot key a cache): FNV-1a, 64 bits, printed as 16 hex digits.
import Foundation

public struct StableHash {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        for b in bytes { value = (value ^ UInt64(b)) &* 0x100_0000_01B3 }
    }

    public mutating func add(_ text: String) {
        var t = text + "\u{0}"  // a separator, so ("ab","c") and ("a","bc") differ
        t.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }

    /// Large arrays (a data set's pixels) go in eight bytes at a time: every byte still counts,
    /// at an eighth of the steps.
    public mutating func add<T>(contentsOf array: [T]) {
        array.withUnsafeBytes { addWords($0) }
    }

    /// Raw memory (a network's weights), eight bytes at a time as above.
    public mutating func addWords(_ raw: UnsafeRawBufferPointer) {
        let words = raw.count / 8
        for i in 0..<words { value = (value ^ raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* 0x100_0000_01B3 }
        add(UnsafeRawBufferPointer(rebasing: raw[(words * 8)...]))
    }

    /// The hash of a file's bytes, as plugins and source models are keyed.
    public static func of(contents data: Data) -> String {
        var h = StableHash()
        data.withUnsafeBytes { h.addWords($0) }
        return h.hex
    }

    public var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    public static func of(_ text: String) -> String {
        var h = StableHash()
        h.add(text)
        return h.hex
    }

    /// The hash of a value's canonical JSON (sorted keys; nil fields left out), the form every
    /// key takes: a field added later as an optional, or with a default left out of its
    /// encoding, does not change the keys of values that do not use it.
    public static func ofCanonicalJSON<T: Encodable>(_ value: T) -> String {
        // Encoding these plain values cannot fail; a failure would be a programming error.
        guard let data = try? HarnessJSON.canonical.encode(value) else { preconditionFailure("cannot encode a key of \(T.self)") }
        return of(String(decoding: data, as: UTF8.self))
    }
}
