// One way in for every data set: the bundled default (Fashion-MNIST from its Debian package),
// a folder of IDX files, or a folder of images per class.
import Foundation
import HarnessSupport

public enum DataSource: Equatable, Sendable, CustomStringConvertible {
    case fashionMNIST(directory: String?)
    case directory(String)

    public static let knownNames = ["fashion-mnist"]

    /// `--dataset NAME`: the named data sets this harness knows.
    public init(named name: String) throws {
        switch name.lowercased() {
        case "fashion-mnist", "fashion_mnist", "fashionmnist": self = .fashionMNIST(directory: nil)
        default:
            throw DataError.notADataset(path: name, expected: "a known data set name\(Suggestion.phrase(for: name, among: DataSource.knownNames)) "
                                        + "(\(DataSource.knownNames.joined(separator: ", "))) or --data DIR")
        }
    }

    public var description: String {
        switch self {
        case .fashionMNIST(let d): return d.map { "fashion-mnist (\($0))" } ?? "fashion-mnist"
        case .directory(let d): return d
        }
    }

    /// The folder holding this data set's four IDX files, for tools outside the harness (the
    /// benchmark's PyTorch peer); nil for image folders.
    public var idxDirectory: String? {
        let dir: String
        switch self {
        case let .fashionMNIST(directory):
            dir = FashionMNIST.resolvedDirectory(directory)
        case let .directory(path):
            dir = path
        }
        return IDXDataset.files(in: dir) != nil ? dir : nil
    }

    /// The class names, without decoding images (Fashion-MNIST's are known; an image folder's are
    /// its sub-folders; an IDX folder's come from its labels).
    public func classNames() throws -> [String] {
        switch self {
        case .fashionMNIST: return FashionMNIST.classNames
        case let .directory(path) where IDXDataset.files(in: path) == nil && ImageFolder.isImageFolder(path):
            return try ImageFolder.Layout(path).classes
        default: return try load(keeping: []).classNames
        }
    }

    /// The whole data set, or with `keeping` possibly only the images of those classes (class
    /// names and indices stay those of the whole set; `restricted(to:)` relabels).
    public func load(seed: UInt64 = 0, keeping: Set<Int>? = nil) throws -> Dataset {
        switch self {
        case let .fashionMNIST(directory):
            return try FashionMNIST.load(directory: directory, keeping: keeping)
        case let .directory(path):
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                throw DataError.unreadable(path: path, reason: "no such directory")
            }
            if IDXDataset.files(in: path) != nil {
                // A folder holding Fashion-MNIST's own files keeps its class names.
                let isFashion = (path as NSString).lastPathComponent.lowercased().contains("fashion")
                return try IDXDataset.load(directory: path, classNames: isFashion ? FashionMNIST.classNames : nil, keeping: keeping)
            }
            if ImageFolder.isImageFolder(path) { return try ImageFolder.load(directory: path, options: .init(cache: nil), seed: seed).0 }
            throw DataError.notADataset(path: path, expected: "four IDX files (train-images, train-labels, t10k-images, t10k-labels) or one sub-folder of images per class")
        }
    }
}

extension DataSource: Codable {
    private enum Keys: String, CodingKey { case fashionMNIST, directory }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        if let d = try c.decodeIfPresent(String.self, forKey: .directory) {
            self = .directory(d)
        } else {
            self = .fashionMNIST(directory: try c.decodeIfPresent(String.self, forKey: .fashionMNIST))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case let .fashionMNIST(d): try c.encodeIfPresent(d, forKey: .fashionMNIST)
        case let .directory(d): try c.encode(d, forKey: .directory)
        }
    }
}
