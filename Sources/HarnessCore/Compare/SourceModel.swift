// A source network the user already has (--source-model): a harness model file, from
// `harness train --out` or `harness import`. Its cache key is the file's content, so a retrained
// file under the same name is a different source.
import Foundation

public struct SourceModel {
    public var path: String
    public var saved: SavedModel
    /// The hash of the file's bytes.
    public var contentHash: String

    public init(path: String) throws {
        self.path = path
        saved = try SavedModel.read(from: path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EngineError.badModelFile(path: path, reason: "cannot read the file")
        }
        var h = StableHash()
        h.add(contentsOf: [UInt8](data))
        contentHash = h.hex
    }

    /// "model.safetensors (3f2a…)": how tables name it.
    public var label: String { "\((path as NSString).lastPathComponent) (\(contentHash.prefix(12)))" }

    /// The statistics target images are normalised with, and where they come from: the model's
    /// own (those of its training images), else the target's training images.
    public func normalization(orElse target: ImageSet) -> (Normalization, String) {
        if let n = saved.normalization, n.mean.count == saved.inputShape.channels { return (n, "stored with the source network") }
        return (target.channelStatistics(), "the target's training images: the source network stores none")
    }
}
