// Labelled images held as floats in plain N, C, H, W order, ready to copy into a batch.

public struct ImageSet: Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    /// count x channels x height x width values.
    public var pixels: [Float]
    /// One class index per image, in 0..<classCount of the owning data set.
    public var labels: [Int]

    public init(channels: Int, height: Int, width: Int, pixels: [Float], labels: [Int]) {
        precondition(pixels.count == labels.count * channels * height * width, "pixels do not match labels and shape")
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
    }

    public var count: Int { labels.count }
    public var imageSize: Int { channels * height * width }

    /// The images at the given positions, in that order.
    public func subset(_ indices: [Int]) -> ImageSet {
        var px = [Float]()
        px.reserveCapacity(indices.count * imageSize)
        pixels.withUnsafeBufferPointer { src in
            for i in indices { px.append(contentsOf: src[(i * imageSize)..<((i + 1) * imageSize)]) }
        }
        return ImageSet(channels: channels, height: height, width: width, pixels: px, labels: indices.map { labels[$0] })
    }

    /// Indices of images per label.
    func indicesByLabel() -> [Int: [Int]] {
        Dictionary(grouping: labels.indices, by: { labels[$0] })
    }
}

/// A train and a test set with the names of their classes.
public struct Dataset: Sendable {
    public var name: String
    public var classNames: [String]
    public var train: ImageSet
    public var test: ImageSet

    public init(name: String, classNames: [String], train: ImageSet, test: ImageSet) {
        self.name = name
        self.classNames = classNames
        self.train = train
        self.test = test
    }

    public var classCount: Int { classNames.count }
}
