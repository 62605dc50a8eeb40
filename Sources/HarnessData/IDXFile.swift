// The IDX format of MNIST-style data sets: a magic number (two zero bytes, a type code, the
// number of dimensions), big-endian 32-bit dimension sizes, then the data. Files may be gzipped;
// zlib reads both kinds through one call.
import CZlib
import Foundation

public struct IDXFile: Equatable, Sendable {
    public let dimensions: [Int]
    public let bytes: [UInt8]

    /// Only unsigned bytes occur in the image data sets this reads (type code 0x08).
    static let unsignedByte: UInt8 = 0x08

    public init(contentsOf path: String) throws {
        try self.init(data: try IDXFile.readAll(path), path: path)
    }

    /// Parses IDX bytes already in memory; `path` only names the source in errors.
    public init(data: consuming [UInt8], path: String) throws {
        guard data.count >= 4 else {
            throw DataError.corrupt(path: path, reason: "file is \(data.count) bytes, shorter than the 4-byte header")
        }
        guard data[0] == 0, data[1] == 0 else {
            throw DataError.corrupt(path: path, reason: String(format: "bad magic number 0x%02x%02x%02x%02x (must start with two zero bytes)", data[0], data[1], data[2], data[3]))
        }
        guard data[2] == IDXFile.unsignedByte else {
            throw DataError.corrupt(path: path, reason: String(format: "element type 0x%02x is not supported (only unsigned bytes, 0x08)", data[2]))
        }
        let rank = Int(data[3])
        guard (1...4).contains(rank) else {
            throw DataError.corrupt(path: path, reason: "\(rank) dimensions (expected 1 to 4)")
        }
        let header = 4 + 4 * rank
        guard data.count >= header else {
            throw DataError.corrupt(path: path, reason: "truncated header: \(data.count) bytes for \(rank) dimensions")
        }
        var dims: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dims.append(Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3]))
        }
        let expected = dims.reduce(1, *)
        let found = data.count - header
        guard found == expected else {
            let shape = dims.map(String.init).joined(separator: "x")
            throw DataError.corrupt(path: path, reason: found < expected
                ? "truncated: header says \(shape) = \(expected) bytes of data, file has \(found)"
                : "\(found - expected) bytes of trailing data after \(shape) = \(expected) bytes")
        }
        dimensions = dims
        // Drop the header in place: a copy would hold the data set's bytes twice at load time.
        var payload = data
        payload.removeFirst(header)
        bytes = payload
    }

    /// The whole file, decompressed if it is gzip.
    static func readAll(_ path: String) throws -> [UInt8] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw DataError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        guard let file = gzopen(path, "rb") else {
            throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(file) }
        var out: [UInt8] = []
        // Reserve the final size up front so the buffer is not regrown (and copied) on the way.
        out.reserveCapacity(expectedSize(path))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                var code: Int32 = 0
                let message = String(cString: gzerror(file, &code))
                throw DataError.corrupt(path: path, reason: "gzip data is damaged (\(message))")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[..<Int(n)])
        }
        // zlib stops quietly at a cut-off gzip stream; it reports it only through gzerror.
        var code: Int32 = 0
        _ = gzerror(file, &code)
        if code != Z_OK && code != Z_STREAM_END {
            throw DataError.corrupt(path: path, reason: "gzip stream is truncated")
        }
        return out
    }

    /// The uncompressed size: a gzip file's ISIZE trailer (size mod 2^32, little-endian), else
    /// the file's own size. Only a hint for reserving memory.
    static func expectedSize(_ path: String) -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return 0 }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return 0 }
        guard path.hasSuffix(".gz"), size >= 4, (try? handle.seek(toOffset: size - 4)) != nil,
              let tail = try? handle.read(upToCount: 4), tail.count == 4 else { return Int(size) }
        return tail.reversed().reduce(0) { $0 << 8 | Int($1) }
    }
}
