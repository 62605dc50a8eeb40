// Image folders, decoded once: the pixels of a folder at one input shape, stored as 8-bit
// safetensors under a key of its files' names, sizes and times (ImageFolder.Layout.cacheKey).
// A comparison's workers each load the target, so without it every cell would decode again.
import Foundation

public struct DecodedImageCache: Sendable {
    public var directory: String

    public init(directory: String = DecodedImageCache.defaultDirectory) { self.directory = directory }

    /// Beside the cached networks: $HARNESS_CACHE_DIR/images, else ~/.cache/harness/images.
    public static var defaultDirectory: String {
        let networks = NetworkCache.defaultDirectory
        if ProcessInfo.processInfo.environment["HARNESS_CACHE_DIR"] != nil { return networks + "/images" }
        return (networks as NSString).deletingLastPathComponent + "/images"
    }

    func path(_ key: String) -> String { directory + "/\(key).safetensors" }

    /// The decoded sets by root name ("train", "test" or "all"), or nil when not cached (or the
    /// entry is unreadable: it is then decoded and written again).
    func read(key: String, roots: [String]) -> (sets: [String: ImageSet], skipped: [String])? {
        guard FileManager.default.fileExists(atPath: path(key)), let file = try? SafetensorsFile.read(from: path(key)) else { return nil }
        var sets: [String: ImageSet] = [:]
        for root in roots {
            guard let px = file["\(root).pixels"], px.dtype == "U8", px.shape.count == 4,
                  let lb = file["\(root).labels"], lb.dtype == "I32", lb.shape == [px.shape[0]] else { return nil }
            let pixels = px.bytes.withUnsafeBytes { raw in raw.bindMemory(to: UInt8.self).map { Float($0) / 255 } }
            let labels = lb.bytes.withUnsafeBytes { raw in (0..<lb.count).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) } }
            sets[root] = ImageSet(channels: px.shape[1], height: px.shape[2], width: px.shape[3], pixels: pixels, labels: labels)
        }
        let skipped = file.metadata["skipped"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        return (sets, skipped)
    }

    func write(key: String, sets: [String: ImageSet], skipped: [String], source: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var tensors: [(name: String, tensor: SafetensorsFile.Tensor)] = []
        for (root, set) in sets.sorted(by: { $0.key < $1.key }) {
            let bytes = set.pixels.map { UInt8(($0 * 255).rounded()) }
            tensors.append(("\(root).pixels", .init(dtype: "U8", shape: [set.count, set.channels, set.height, set.width], bytes: Data(bytes))))
            let labels = set.labels.map { Int32($0) }
            tensors.append(("\(root).labels", .init(dtype: "I32", shape: [set.count], bytes: labels.withUnsafeBytes { Data($0) })))
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
