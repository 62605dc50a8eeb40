// Every way loading data can fail, each saying what to do about it.

public enum DataError: Error, Equatable, Codable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case datasetNotInstalled(name: String, package: String, searched: [String])
    case notADataset(path: String, expected: String)
    case mismatch(String)
    case badClassSelection(String)
    case badLabel(path: String, index: Int, label: Int, reason: String)
    case emptyClass(path: String)
    case tooManyChannels(data: String, has: Int, network: Int)
    case undecodable(path: String, reason: String)
    case noImages(path: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .corrupt(path, reason):
            return "\(path) is not a valid IDX file: \(reason)"
        case let .datasetNotInstalled(name, package, searched):
            return "the \(name) data set is not installed (looked in \(searched.joined(separator: ", "))). "
                + "help: install it with `apt-get install \(package)`, or pass --data DIR with your own files"
        case let .notADataset(path, expected):
            return "\(path) does not hold a data set: expected \(expected)"
        case let .mismatch(what):
            return what
        case let .badClassSelection(what):
            return what
        case let .badLabel(path, index, label, reason):
            return "\(path): label \(label) of image \(index) is not a class: \(reason). help: repair or regenerate the label file"
        case let .emptyClass(path):
            return "\(path): this class folder holds no images. help: add images to it, or remove the folder"
        case let .tooManyChannels(data, has, network):
            return "\(data): \(has)-channel (colour) images, but the source network takes \(network)-channel images. "
                + "help: add @gray to the data spec to convert them to grayscale, or use a source network that takes colour"
        case let .undecodable(path, reason):
            return "\(path) cannot be decoded as an image: \(reason). help: repair or remove the file, "
                + "or pass --skip-undecodable to leave such files out (they are counted in the output)"
        case let .noImages(path):
            return "\(path) holds no images: expected one sub-folder per class with image files "
                + "(\(ImageFolder.imageExtensions.sorted().joined(separator: ", "))), or train/ and test/ folders of them"
        }
    }
}
