// Image folders, decoded once: the pixels of a folder at one input shape, stored as 8-bit
// safetensors under a key of its files' names, sizes and times (ImageFolder.Layout.cacheKey).
// A comparison's workers each load the target, so without it every cell would decode again.
import Foundation
import HarnessSupport

public struct DecodedImageCache: Sendable {
    public var directory: String

    public init(directory: String = DecodedImageCache.defaultDirectory) { self.directory = directory }

    /// Beside the cached networks: $HARNESS_CACHE_DIR/images, else ~/.cache/harness/images.
    public static var defaultDirectory: String { CacheDirectory.images }

    func path(_ key: String) -> String { directory + "/\(key).safetensors" }

    /// The decoded roots by name ("train", "test" or "all"), or nil when not cached (or the
    /// entry is unreadable: it is then decoded and written again).
    func read(key: String, roots: [String]) -> (roots: [String: DecodedRoot], skipped: [String])? {
        guard FileManager.default.fileExists(atPath: path(key)), let file = try? SafetensorsFile.read(from: path(key)) else { return nil }
        var decoded: [String: DecodedRoot] = [:]
        for root in roots {
            guard let px = file["\(root).pixels"], px.dtype == "U8", px.shape.count == 4,
                  let lb = file["\(root).labels"], lb.dtype == "I32", lb.shape == [px.shape[0]] else { return nil }
            let labels = lb.bytes.withUnsafeBytes { raw in (0..<lb.count).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) } }
            decoded[root] = DecodedRoot(shape: InputShape(channels: px.shape[1], height: px.shape[2], width: px.shape[3]), bytes: [UInt8](px.bytes),
                                        labels: labels)
        }
        let skipped = file.metadata["skipped"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        return (decoded, skipped)
    }

    func write(key: String, roots: [String: DecodedRoot], skipped: [String], source: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var tensors: [(name: String, tensor: SafetensorsFile.Tensor)] = []
        for (name, root) in roots.sorted(by: { $0.key < $1.key }) {
            let s = root.shape
            tensors.append(("\(name).pixels", .init(dtype: "U8", shape: [root.labels.count, s.channels, s.height, s.width], bytes: Data(root.bytes))))
            let labels = root.labels.map { Int32($0) }
            tensors.append(("\(name).labels", .init(dtype: "I32", shape: [root.labels.count], bytes: labels.withUnsafeBytes { Data($0) })))
        }
        let skippedJSON = String(decoding: try JSONEncoder().encode(skipped), as: UTF8.self)
        try SafetensorsFile(tensors: tensors, metadata: ["format": "harness decoded images", "source": source, "skipped": skippedJSON])
            .write(to: path(key))
    }

    /// Removes every decoded folder; returns how many.
    @discardableResult
    public func clear() throws -> Int {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".safetensors") }
        for n in names { try FileManager.default.removeItem(atPath: directory + "/" + n) }
        return names.count
    }
}
