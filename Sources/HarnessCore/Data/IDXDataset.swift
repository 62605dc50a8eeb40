// A data set stored as four IDX files (MNIST, Fashion-MNIST, EMNIST, or a user's own), and
// Fashion-MNIST as Debian's dataset-fashion-mnist package installs it.
import Foundation

public enum IDXDataset {
    /// Loads images and labels from a pair of IDX files; pixels are scaled to [0, 1]. With
    /// `keeping`, only images of those labels become floats (a comparison's worker needs five
    /// classes of ten, and the floats are four times the bytes).
    public static func loadPair(images imagesPath: String, labels labelsPath: String, keeping: Set<Int>? = nil) throws -> ImageSet {
        let images = try IDXFile(contentsOf: imagesPath)
        let labels = try IDXFile(contentsOf: labelsPath)
        guard images.dimensions.count == 3 || images.dimensions.count == 4 else {
            throw DataError.corrupt(path: imagesPath, reason: "images need 3 dimensions (count, rows, columns), found \(images.dimensions)")
        }
        guard labels.dimensions.count == 1 else {
            throw DataError.corrupt(path: labelsPath, reason: "labels need 1 dimension, found \(labels.dimensions)")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw DataError.mismatch("\(imagesPath) has \(images.dimensions[0]) images but \(labelsPath) has \(labels.dimensions[0]) labels")
        }
        let (h, w) = (images.dimensions[1], images.dimensions[2])
        let c = images.dimensions.count == 4 ? images.dimensions[3] : 1
        let kept = keeping.map { keep in labels.bytes.indices.filter { keep.contains(Int(labels.bytes[$0])) } }
            ?? Array(labels.bytes.indices)
        let size = h * w * c
        var pixels = [Float](repeating: 0, count: kept.count * size)
        images.bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for (j, i) in kept.enumerated() {
                    let from = i * size, to = j * size
                    if c == 1 {
                        for p in 0..<size { dst[to + p] = Float(src[from + p]) / 255 }
                    } else {  // IDX stores (count, rows, columns, channels); the engine wants channels first.
                        for y in 0..<h { for x in 0..<w { for k in 0..<c {
                            dst[to + (k * h + y) * w + x] = Float(src[from + (y * w + x) * c + k]) / 255
                        } } }
                    }
                }
            }
        }
        return ImageSet(channels: c, height: h, width: w, pixels: pixels, labels: kept.map { Int(labels.bytes[$0]) })
    }

    /// The IDX files of a folder, matched by the standard names (`train-images-idx3-ubyte`,
    /// `t10k-labels-idx1-ubyte.gz`, EMNIST's `emnist-letters-train-images-idx3-ubyte`, …).
    public static func files(in directory: String) -> (trainImages: String, trainLabels: String, testImages: String, testLabels: String)? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        func find(_ split: [String], _ kind: String) -> String? {
            names.sorted().first { n in
                let l = n.lowercased()
                return split.contains { l.contains("\($0)-\(kind)") } && l.contains("idx")
            }.map { (directory as NSString).appendingPathComponent($0) }
        }
        guard let a = find(["train"], "images"), let b = find(["train"], "labels"),
              let c = find(["t10k", "test"], "images"), let d = find(["t10k", "test"], "labels") else { return nil }
        return (a, b, c, d)
    }

    public static func load(directory: String, name: String? = nil, classNames: [String]? = nil, keeping: Set<Int>? = nil) throws -> Dataset {
        guard let f = files(in: directory) else {
            throw DataError.notADataset(path: directory, expected: "four IDX files (train-images, train-labels, t10k-images, t10k-labels, optionally .gz)")
        }
        let train = try loadPair(images: f.trainImages, labels: f.trainLabels, keeping: keeping)
        let test = try loadPair(images: f.testImages, labels: f.testLabels, keeping: keeping)
        guard (train.channels, train.height, train.width) == (test.channels, test.height, test.width) else {
            throw DataError.mismatch("train images are \(train.height)x\(train.width), test images \(test.height)x\(test.width)")
        }
        let classCount = (train.labels + test.labels).max().map { $0 + 1 } ?? 0
        let names = classNames ?? (0..<classCount).map { "class \($0)" }
        guard names.count >= classCount else {
            throw DataError.mismatch("labels go up to \(classCount - 1) but only \(names.count) class names are known")
        }
        return Dataset(name: name ?? (directory as NSString).lastPathComponent, classNames: names, train: train, test: test)
    }
}

public enum FashionMNIST {
    public static let debianPackage = "dataset-fashion-mnist"
    /// Where the Debian package installs the files (`dpkg -L dataset-fashion-mnist`).
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    /// Garments against footwear and bags: the analogue of Yosinski's man-made/natural split.
    public static let garments = [0, 1, 2, 3, 4, 6]
    public static let footwearAndBags = [5, 7, 8, 9]

    /// Loads Fashion-MNIST from `directory`, else from `$HARNESS_FASHION_MNIST_DIR`, else from
    /// the Debian package's location.
    /// `directory`, else `$HARNESS_FASHION_MNIST_DIR`, else the Debian package's location.
    static func resolvedDirectory(_ directory: String?) -> String {
        directory ?? ProcessInfo.processInfo.environment["HARNESS_FASHION_MNIST_DIR"] ?? defaultDirectory
    }

    public static func load(directory: String? = nil, keeping: Set<Int>? = nil) throws -> Dataset {
        let dir = resolvedDirectory(directory)
        guard IDXDataset.files(in: dir) != nil else {
            throw DataError.datasetNotInstalled(name: "Fashion-MNIST", package: debianPackage, searched: [dir])
        }
        return try IDXDataset.load(directory: dir, name: "fashion-mnist", classNames: classNames, keeping: keeping)
    }
}
