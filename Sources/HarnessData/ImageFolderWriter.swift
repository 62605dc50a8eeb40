// Writes a data set as an image folder (DIR/train/<class>/*, DIR/test/<class>/*): to look at what
// a data spec's transforms do, and to make folders "as users have them" for tests and the loading
// benchmark: mixed formats, sizes and colour.
import Foundation

public struct ImageFolderWriter {
    /// File formats, cycled over the images (by suffix: jpg, png, webp, …).
    public var formats: [String] = ["jpg"]
    /// Output side lengths in pixels, cycled over the images (nil: the data's own size).
    public var sizes: [Int]? = nil
    /// Every n-th image written in colour (tinted), the rest as they are; 0: none.
    public var colourEvery = 0

    public init(formats: [String] = ["jpg"], sizes: [Int]? = nil, colourEvery: Int = 0) {
        self.formats = formats
        self.sizes = sizes
        self.colourEvery = colourEvery
    }

    /// Writes up to `perClass` images per class of each split; returns how many files.
    @discardableResult
    public func write(_ dataset: Dataset, to directory: String, perClass: Int? = nil) throws -> Int {
        var written = 0
        for (split, set) in [("train", dataset.train), ("test", dataset.test)] {
            var seen = [Int](repeating: 0, count: dataset.classCount)
            for i in 0..<set.count {
                let label = set.labels[i]
                if let perClass, seen[label] >= perClass { continue }
                seen[label] += 1
                let folder = "\(directory)/\(split)/\(Self.folderName(dataset.classNames[label]))"
                if seen[label] == 1 { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                var planes = set.subset([i]).pixels
                var shape = InputShape(set)
                if let sizes {
                    let side = sizes[written % sizes.count]
                    planes = try ImageSet(channels: shape.channels, height: shape.height, width: shape.width, pixels: planes, labels: [label])
                        .brought(to: InputShape(channels: shape.channels, height: side, width: side), name: dataset.name).pixels
                    shape = InputShape(channels: shape.channels, height: side, width: side)
                }
                if colourEvery > 0, shape.channels == 1, written % colourEvery == 0 {
                    // A warm tint: red full, green 0.8, blue 0.6 of the gray value.
                    planes = planes + planes.map { $0 * 0.8 } + planes.map { $0 * 0.6 }
                    shape.channels = 3
                }
                try ImageFile.write(planes.map { min(1, max(0, $0)) }, shape: shape,
                                    to: "\(folder)/\(split)-\(i).\(formats[written % formats.count])")
                written += 1
            }
        }
        return written
    }

    /// A class name as a folder name ("T-shirt/top" -> "T-shirt-top").
    static func folderName(_ name: String) -> String { name.replacingOccurrences(of: "/", with: "-") }
}
