// The safetensors format, for any named tensors: an 8-byte little-endian header length, a JSON
// header naming each tensor's dtype, shape and byte range, then the raw bytes. Harness stores
// networks (SavedModel), decoded image folders (DecodedImageCache) and reads PyTorch state dicts
// (ModelImport) with it; numpy and PyTorch users read it with the `safetensors` package.
import Foundation

public struct SafetensorsFile {
    public struct Tensor {
        /// F32, F64, F16, BF16, U8, I32, I64, …, as the format spells them.
        public var dtype: String
        public var shape: [Int]
        public var bytes: Data

        public init(dtype: String, shape: [Int], bytes: Data) {
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        public init(floats: [Float], shape: [Int]) {
            self.init(dtype: "F32", shape: shape, bytes: floats.withUnsafeBytes { Data($0) })
        }

        public var count: Int { shape.reduce(1, *) }

        static let bytesPerElement = ["F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2, "U16": 2,
                                      "U8": 1, "I8": 1, "BOOL": 1]

        /// The values as Float, from any floating-point dtype (x86-64 and arm64 are little-endian,
        /// as the format is).
        public func floats() -> [Float]? {
            let n = count
            return bytes.withUnsafeBytes { raw -> [Float]? in
                switch dtype {
                case "F32": return (0..<n).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
                case "F64": return (0..<n).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
                case "F16": return (0..<n).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
                case "BF16": return (0..<n).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) << 16) }
                default: return nil
                }
            }
        }
    }

    /// Tensors in the order they are written.
    public var tensors: [(name: String, tensor: Tensor)]
    public var metadata: [String: String]

    public init(tensors: [(name: String, tensor: Tensor)] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }

    public func write(to path: String) throws {
        do { try serialized().write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw FileError(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// The file's bytes.
    public func serialized() throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for (name, t) in tensors {
            header[name] = ["dtype": t.dtype, "shape": t.shape, "data_offsets": [offset, offset + t.bytes.count]]
            offset += t.bytes.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the tensors start 8-byte aligned, as the format recommends.
        while (8 + headerData.count) % 8 != 0 { headerData.append(0x20) }
        var file = Data(capacity: 8 + headerData.count + offset)
        var length = UInt64(headerData.count).littleEndian
        file.append(Data(bytes: &length, count: 8))
        file.append(headerData)
        for (_, t) in tensors { file.append(t.bytes) }
        return file
    }

    /// Reads and checks a whole file: every tensor's bytes must lie inside it and match its dtype
    /// and shape, so a truncated copy is named as one.
    public static func read(from path: String) throws -> SafetensorsFile {
        try parse(try contents(of: path), path: path)
    }

    /// A file's bytes, or an error saying whether it is missing or unreadable.
    public static func contents(of path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        return data
    }

    /// Parses a file's bytes; `path` names it in errors.
    public static func parse(_ data: Data, path: String) throws -> SafetensorsFile {
        func bad(_ reason: String) -> FileError { FileError(path: path, reason: reason) }
        let truncated = "help: the file is incomplete (an interrupted copy or download?); copy or export it again"
        guard data.count >= 8 else { throw bad("too short (\(data.count) bytes) to be a safetensors file; \(truncated)") }
        let length = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard length > 1, length < 100_000_000 else { throw bad("not a safetensors file (header length \(length))") }
        guard 8 + length <= data.count else { throw bad("truncated inside the header (\(length) bytes announced, \(data.count - 8) present); \(truncated)") }
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any] else {
            throw bad("the header is not a JSON object: not a safetensors file")
        }
        let body = 8 + length
        var file = SafetensorsFile(metadata: header["__metadata__"] as? [String: String] ?? [:])
        var entries: [(name: String, start: Int, tensor: Tensor)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String, let shape = entry["shape"] as? [Int],
                  let range = entry["data_offsets"] as? [Int], range.count == 2, range[0] >= 0, range[1] >= range[0] else {
                throw bad("tensor \(name) has a malformed header entry")
            }
            let count = shape.reduce(1, *)
            if let size = Tensor.bytesPerElement[dtype], size * count != range[1] - range[0] {
                throw bad("tensor \(name) (\(dtype) \(shape)) needs \(size * count) bytes but its data_offsets span \(range[1] - range[0])")
            }
            guard body + range[1] <= data.count else {
                throw bad("truncated: tensor \(name) ends at byte \(body + range[1]) but the file has \(data.count); \(truncated)")
            }
            entries.append((name, range[0], Tensor(dtype: dtype, shape: shape, bytes: data.subdata(in: (body + range[0])..<(body + range[1])))))
        }
        file.tensors = entries.sorted { $0.start < $1.start }.map { ($0.name, $0.tensor) }
        return file
    }
}

/// A file that cannot be read as what it should be: which file, and why.
public struct FileError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
