// The IDX format of MNIST-style data sets: a magic number (two zero bytes, a type code, the
// number of dimensions), big-endian 32-bit dimension sizes, then the data. Files may be gzipped;
// zlib reads both kinds through one call. Nothing a file says is trusted before it is checked:
// only regular files are opened (a FIFO would hang, /dev/zero never end), the dimensions are
// multiplied with overflow checks against a stated limit, and decompression stops at the size
// the header announces, so a gzip bomb inflates no further than its header admits.
import CZlib
import Foundation

public struct IDXFile: Equatable, Sendable {
    public let dimensions: [Int]
    public let bytes: [UInt8]

    /// Only unsigned bytes occur in the image data sets this reads (type code 0x08).
    static let unsignedByte: UInt8 = 0x08

    /// The largest data an IDX file may hold: far beyond any image data set this is for
    /// (EMNIST's largest is 0.55 GB), and within what a machine's memory holds.
    public static let maximumBytes = 1 << 31

    public init(contentsOf path: String) throws {
        try self.init(data: try IDXFile.readBounded(path), path: path)
    }

    /// The size of the data a header announces, with checked arithmetic.
    static func payloadSize(_ dims: [Int], path: String) throws -> Int {
        var total = 1
        for d in dims {
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maximumBytes else {
                throw DataError.corrupt(path: path, reason: "the header says \(dims.map(String.init).joined(separator: "x")), more than the "
                                        + "\(maximumBytes >> 30) GiB of data an IDX file may hold here (a damaged header?)")
            }
            total = product
        }
        return total
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
        let expected = try IDXFile.payloadSize(dims, path: path)
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

    /// The file's header and exactly the data it announces, decompressed if it is gzip; what
    /// follows is read no further than to know it is there.
    static func readBounded(_ path: String) throws -> [UInt8] {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw DataError.unreadable(path: path, reason: errno == ENOENT ? "no such file" : String(cString: strerror(errno)))
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw DataError.unreadable(path: path, reason: "not a regular file (a directory, a device or a pipe); IDX data is a file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else { throw DataError.unreadable(path: path, reason: "permission denied") }
        guard let file = gzopen(path, "rb") else {
            throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(file) }
        var out: [UInt8] = []
        /// Appends up to `count` bytes; false at the end of the data.
        func read(_ count: Int) throws -> Bool {
            var left = count
            var chunk = [UInt8](repeating: 0, count: min(count, 1 << 20))
            while left > 0 {
                let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(min(left, $0.count))) }
                if n < 0 {
                    var code: Int32 = 0
                    throw DataError.corrupt(path: path, reason: "gzip data is damaged (\(String(cString: gzerror(file, &code))))")
                }
                if n == 0 { return false }
                out.append(contentsOf: chunk[..<Int(n)])
                left -= Int(n)
            }
            return true
        }
        // The header: four bytes, then four per dimension. Anything odd is left to init(data:),
        // which says what is wrong.
        guard try read(4), out[0] == 0, out[1] == 0, out[2] == unsignedByte, (1...4).contains(Int(out[3])) else { return out }
        let rank = Int(out[3])
        guard try read(4 * rank) else { return out }
        let dims = (0..<rank).map { d in (4 + 4 * d..<8 + 4 * d).reduce(0) { $0 << 8 | Int(out[$1]) } }
        let expected = try payloadSize(dims, path: path)
        out.reserveCapacity(out.count + min(expected, 1 << 26))
        guard try read(expected) else { return out }  // init(data:) reports the truncation
        if try read(1) {
            throw DataError.corrupt(path: path, reason: "trailing data after \(dims.map(String.init).joined(separator: "x")) = \(expected) bytes")
        }
        // zlib stops quietly at a cut-off gzip stream; it reports it only through gzerror.
        var code: Int32 = 0
        _ = gzerror(file, &code)
        if code != Z_OK && code != Z_STREAM_END {
            throw DataError.corrupt(path: path, reason: "gzip stream is truncated")
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#endif
