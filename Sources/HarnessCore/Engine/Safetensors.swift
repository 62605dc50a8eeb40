// Saving and loading networks in the safetensors format: an 8-byte little-endian header length,
// a JSON header naming each tensor's dtype, shape and byte range, then the raw tensors. numpy
// and PyTorch users read it with the `safetensors` package; tensors keep PyTorch's layouts and
// names (`conv1.weight`, …). The network spec, class names and input normalisation travel in
// the header's `__metadata__`, so a file alone is enough to rebuild and run the network.
import Foundation

public struct SavedModel {
    public var network: Network
    public var classNames: [String]
    public var normalization: Normalization?
    public var metadata: [String: String]

    public init(network: Network, classNames: [String], normalization: Normalization?, metadata: [String: String] = [:]) {
        self.network = network
        self.classNames = classNames
        self.normalization = normalization
        self.metadata = metadata
    }

    public func write(to path: String) throws {
        var header: [String: Any] = [:]
        var offset = 0
        for p in network.parameters {
            let bytes = p.count * 4
            header[p.name] = ["dtype": "F32", "shape": p.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var meta = metadata
        meta["format"] = "harness"
        meta["engine_version"] = EngineInfo.engineVersion
        meta["spec"] = try Self.json(network.spec)
        meta["class_names"] = try Self.json(classNames)
        if let normalization { meta["normalization"] = try Self.json(normalization) }
        header["__metadata__"] = meta
        var headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the tensors start 8-byte aligned, as the format recommends.
        while (8 + headerData.count) % 8 != 0 { headerData.append(0x20) }

        var file = Data()
        var length = UInt64(headerData.count).littleEndian
        file.append(Data(bytes: &length, count: 8))
        file.append(headerData)
        for p in network.parameters {
            file.append(Data(bytes: p.valuePointer, count: p.count * 4))  // x86-64 and arm64 are little-endian, as the format is.
        }
        do { try file.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw EngineError.badModelFile(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    public static func read(from path: String) throws -> SavedModel {
        func bad(_ reason: String) -> EngineError { .badModelFile(path: path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw bad(FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        guard data.count >= 8 else { throw bad("too short to be a safetensors file") }
        let length = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard length > 0, 8 + length <= data.count else { throw bad("header length \(length) does not fit a \(data.count)-byte file") }
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        guard let meta = header["__metadata__"] as? [String: String], let specJSON = meta["spec"] else {
            throw bad("no network spec in __metadata__ (not saved by harness)")
        }
        let decoder = JSONDecoder()
        let spec: NetworkSpec
        do { spec = try decoder.decode(NetworkSpec.self, from: Data(specJSON.utf8)) } catch { throw bad("the saved network spec is unreadable: \(error)") }
        let classNames = (meta["class_names"]).flatMap { try? decoder.decode([String].self, from: Data($0.utf8)) } ?? []
        let normalization = meta["normalization"].flatMap { try? decoder.decode(Normalization.self, from: Data($0.utf8)) }
        let network = try Network(spec: spec, seed: 0)
        let body = 8 + length
        for p in network.parameters {
            guard let entry = header[p.name] as? [String: Any] else { throw bad("tensor \(p.name) is missing") }
            guard entry["dtype"] as? String == "F32" else { throw bad("tensor \(p.name) is not F32") }
            guard let shape = entry["shape"] as? [Int], shape == p.shape else {
                throw bad("tensor \(p.name) has shape \(entry["shape"] ?? "none"), the spec needs \(p.shape)")
            }
            guard let range = entry["data_offsets"] as? [Int], range.count == 2, range[1] - range[0] == p.count * 4,
                  range[0] >= 0, body + range[1] <= data.count else {
                throw bad("tensor \(p.name) has bad data_offsets")
            }
            data.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(p.valuePointer).copyMemory(from: raw.baseAddress! + body + range[0], byteCount: p.count * 4)
            }
            p.markChanged()
        }
        return SavedModel(network: network, classNames: classNames, normalization: normalization, metadata: meta)
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
