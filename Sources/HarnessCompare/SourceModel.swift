// A source network the user already has (--source-model): a harness model file, from
// `harness train --out` or `harness import`. Its cache key is the file's content, so a retrained
// file under the same name is a different source.
import Foundation
import HarnessSupport
import HarnessEngine

public struct SourceModel {
    public var path: String
    public var saved: SavedModel
    /// The hash of the file's bytes.
    public var contentHash: String

    /// Reads the file once: the model from its bytes, the key from the same bytes.
    public init(path: String) throws {
        self.path = path
        let data = try SafetensorsFile.contents(of: path)
        saved = try SavedModel.parse(data, path: path)
        contentHash = StableHash.of(contents: data)
    }

    /// "model.safetensors (3f2a…)": how tables name it.
    public var label: String { "\((path as NSString).lastPathComponent) (\(contentHash.prefix(12)))" }
}
