// A folder of PNG images, one sub-folder per class (the ImageFolder layout of torchvision):
//   DIR/train/<class>/*.png and DIR/test/<class>/*.png, or
//   DIR/<class>/*.png, from which a seeded 20% per class is held out as the test set.
// Images are decoded with libpng's simplified API: grayscale if the first image is, else RGB;
// every image must have the first one's size.
import CPNG
import Foundation

public enum ImageFolder {
    public static let heldOutFraction = 0.2

    public static func isImageFolder(_ directory: String) -> Bool {
        holdsClassFolders(directory) || holdsClassFolders((directory as NSString).appendingPathComponent("train"))
    }

    /// Whether some sub-folder of `directory` holds images.
    static func holdsClassFolders(_ directory: String) -> Bool {
        subfolders(directory).contains { !pngFiles($0).isEmpty }
    }

    public static func load(directory: String, seed: UInt64 = 0) throws -> Dataset {
        let trainDir = (directory as NSString).appendingPathComponent("train")
        let testDir = (directory as NSString).appendingPathComponent("test")
        let name = (directory as NSString).lastPathComponent
        if holdsClassFolders(trainDir) {
            let classes = try classFolders(trainDir)
            let testClasses = FileManager.default.fileExists(atPath: testDir) ? try classFolders(testDir) : []
            guard testClasses.isEmpty || Set(testClasses).isSubset(of: classes) else {
                throw DataError.mismatch("\(testDir) has classes not in \(trainDir): \(Set(testClasses).subtracting(classes).sorted())")
            }
            var reader = Reader()
            let train = try reader.read(root: trainDir, classes: classes)
            let test = try reader.read(root: testDir, classes: classes)
            return Dataset(name: name, classNames: classes, train: train, test: test)
        }
        guard holdsClassFolders(directory) else {
            throw DataError.notADataset(path: directory, expected: "one sub-folder of PNG images per class (or train/ and test/ folders of them)")
        }
        let classes = try classFolders(directory)
        var reader = Reader()
        let all = try reader.read(root: directory, classes: classes)
        var generator = SeededGenerator(seed: seed, stream: "image-folder-holdout")
        var trainIdx: [Int] = [], testIdx: [Int] = []
        for (_, idx) in all.indicesByLabel().sorted(by: { $0.key < $1.key }) {
            let shuffled = idx.shuffled(using: &generator)
            let held = Int((Double(idx.count) * heldOutFraction).rounded())
            testIdx += shuffled.prefix(held)
            trainIdx += shuffled.dropFirst(held)
        }
        return Dataset(name: name, classNames: classes, train: all.subset(trainIdx.sorted()), test: all.subset(testIdx.sorted()))
    }

    /// The class names: every visible sub-folder. One without images is an error, not a class
    /// silently dropped (which would shift every later class's index).
    static func classFolders(_ directory: String) throws -> [String] {
        let folders = subfolders(directory)
        if let empty = folders.first(where: { pngFiles($0).isEmpty }) { throw DataError.emptyClass(path: empty) }
        return folders.map { ($0 as NSString).lastPathComponent }
    }

    /// Visible sub-folders, sorted, as paths.
    static func subfolders(_ directory: String) -> [String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return [] }
        return names.sorted().filter { !$0.hasPrefix(".") }.map { (directory as NSString).appendingPathComponent($0) }.filter { p in
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: p, isDirectory: &isDir) && isDir.boolValue
        }
    }

    static func pngFiles(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.lowercased().hasSuffix(".png") }.sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Decodes images, fixing the shape and colour from the first one it reads.
    struct Reader {
        var shape: (channels: Int, height: Int, width: Int)?
        var shapeSource = ""

        mutating func read(root: String, classes: [String]) throws -> ImageSet {
            var pixels: [Float] = [], labels: [Int] = []
            for (label, cls) in classes.enumerated() {
                for file in pngFiles((root as NSString).appendingPathComponent(cls)) {
                    pixels += try decode(file)
                    labels.append(label)
                }
            }
            let s = shape ?? (1, 1, 1)
            return ImageSet(channels: s.channels, height: s.height, width: s.width, pixels: pixels, labels: labels)
        }

        mutating func decode(_ path: String) throws -> [Float] {
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            defer { png_image_free(&image) }
            func failure() -> DataError {
                let message = withUnsafeBytes(of: image.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                return DataError.unreadable(path: path, reason: "not a readable PNG (\(message))")
            }
            guard png_image_begin_read_from_file(&image, path) != 0 else { throw failure() }
            let isColor = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
            if shape == nil {
                shape = (isColor ? 3 : 1, Int(image.height), Int(image.width))
                shapeSource = path
            }
            let s = shape!
            guard Int(image.height) == s.height, Int(image.width) == s.width else {
                throw DataError.mismatch("\(path) is \(image.width)x\(image.height) but \(shapeSource) is \(s.width)x\(s.height): all images must have one size")
            }
            image.format = s.channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
            let hw = s.height * s.width
            var bytes = [UInt8](repeating: 0, count: hw * s.channels)
            guard bytes.withUnsafeMutableBytes({ png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }) != 0 else {
                throw failure()
            }
            // Interleaved RGB to channels-first.
            var out = [Float](repeating: 0, count: bytes.count)
            for i in 0..<hw { for c in 0..<s.channels { out[c * hw + i] = Float(bytes[i * s.channels + c]) / 255 } }
            return out
        }
    }
}
