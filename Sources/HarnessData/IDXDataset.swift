// A data set stored as four IDX files (MNIST, Fashion-MNIST, EMNIST, or a user's own), and
// Fashion-MNIST as Debian's dataset-fashion-mnist package installs it.
import Foundation

public enum IDXDataset {
    /// Loads images and labels from a pair of IDX files; pixels are kept as bytes (read as b / 255). With
    /// `keeping`, only images of those labels become floats (a comparison's worker needs five
    /// classes of ten, and the floats are four times the bytes).
    public static func loadPair(images imagesPath: String, labels labelsPath: String, keeping: Set<Int>? = nil) throws -> ImageSet {
        try loadPair(images: try IDXFile(contentsOf: imagesPath), imagesPath: imagesPath, labels: try IDXFile(contentsOf: labelsPath),
                     labelsPath: labelsPath, keeping: keeping)
    }

    static func loadPair(images: IDXFile, imagesPath: String, labels: IDXFile, labelsPath: String, keeping: Set<Int>?) throws -> ImageSet {
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
        var pixels = [UInt8](repeating: 0, count: kept.count * size)
        images.bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for (j, i) in kept.enumerated() {
                    let from = i * size, to = j * size
                    if c == 1 {
                        for p in 0..<size { dst[to + p] = src[from + p] }
                    } else {  // IDX stores (count, rows, columns, channels); the engine wants channels first.
                        for y in 0..<h { for x in 0..<w { for k in 0..<c {
                            dst[to + (k * h + y) * w + x] = src[from + (y * w + x) * c + k]
                        } } }
                    }
                }
            }
        }
        return ImageSet(channels: c, height: h, width: w, bytes: pixels, labels: kept.map { Int(labels.bytes[$0]) })
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
        // Every file's structure first, then the labels, before any image is converted: one bad
        // label byte would otherwise invent classes (a 200 in a 10-class file makes 201), and
        // every cell would die far from the cause.
        let trainImages = try IDXFile(contentsOf: f.trainImages), trainLabels = try IDXFile(contentsOf: f.trainLabels)
        let testImages = try IDXFile(contentsOf: f.testImages), testLabels = try IDXFile(contentsOf: f.testLabels)
        // An empty file is a data error here, not a network of zero classes later.
        for (path, file) in [(f.trainLabels, trainLabels), (f.testLabels, testLabels)] where file.bytes.isEmpty {
            throw DataError.corrupt(path: path, reason: "it holds no labels (the header says 0 items), so there is nothing to train on or test")
        }
        let classCount = try checkedClassCount(train: (f.trainLabels, trainLabels.bytes), test: (f.testLabels, testLabels.bytes),
                                               known: classNames)
        let train = try loadPair(images: trainImages, imagesPath: f.trainImages, labels: trainLabels, labelsPath: f.trainLabels, keeping: keeping)
        let test = try loadPair(images: testImages, imagesPath: f.testImages, labels: testLabels, labelsPath: f.testLabels, keeping: keeping)
        guard (train.channels, train.height, train.width) == (test.channels, test.height, test.width) else {
            throw DataError.mismatch("train images are \(train.height)x\(train.width), test images \(test.height)x\(test.width)")
        }
        let names = classNames ?? (0..<classCount).map { "class \($0)" }
        return Dataset(name: name ?? (directory as NSString).lastPathComponent, classNames: names, train: train, test: test)
    }

    /// The number of classes the label files describe. With known class names every label must
    /// name one; without, the classes are 0 to the largest label, and each must have training
    /// images: a gap means a damaged label, which is named with its file and index.
    static func checkedClassCount(train: (path: String, bytes: [UInt8]), test: (path: String, bytes: [UInt8]), known: [String]?) throws -> Int {
        if let known {
            for (path, bytes) in [train, test] {
                if let i = bytes.firstIndex(where: { Int($0) >= known.count }) {
                    throw DataError.badLabel(path: path, index: i, label: Int(bytes[i]),
                                             reason: "this data set has \(known.count) classes, labelled 0 to \(known.count - 1)")
                }
            }
            return known.count
        }
        var counts = [Int](repeating: 0, count: 256)
        for b in train.bytes { counts[Int(b)] += 1 }
        let largest = max(train.bytes.max().map(Int.init) ?? -1, test.bytes.max().map(Int.init) ?? -1)
        let empty = (0...max(largest, 0)).filter { counts[$0] == 0 }
        guard let firstEmpty = empty.first, largest >= 0 else { return largest + 1 }
        // The first image labelled at or above a class that has no training images is the culprit
        // (a test label no training image has, or a stray large label leaving a gap below it).
        for (path, bytes) in [train, test] {
            if let i = bytes.firstIndex(where: { Int($0) >= firstEmpty }) {
                throw DataError.badLabel(path: path, index: i, label: Int(bytes[i]),
                                         reason: "no training image has label \(Self.ranges(empty)), so classes would be missing; "
                                             + "labels must number the classes 0 to K-1 without gaps")
            }
        }
        return largest + 1  // not reached: an empty class at or below the largest label has a label at or above it
    }

    /// "3, 10-199": a sorted list of integers as ranges, for messages.
    static func ranges(_ values: [Int]) -> String {
        var parts: [String] = [], i = 0
        while i < values.count {
            var j = i
            while j + 1 < values.count, values[j + 1] == values[j] + 1 { j += 1 }
            parts.append(i == j ? "\(values[i])" : "\(values[i])-\(values[j])")
            i = j + 1
        }
        return parts.joined(separator: ", ")
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
