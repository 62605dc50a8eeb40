// A folder of images, one sub-folder per class (the ImageFolder layout of torchvision):
//   DIR/train/<class>/* and DIR/test/<class>/*, or
//   DIR/<class>/*, from which a seeded 20% per class is held out as the test set.
// Any format libvips reads (JPEG, PNG, WebP, TIFF, GIF), any size, grayscale or colour: every
// image is shrunk on load to the network's input and converted to its channels, and the decoded
// pixels are cached, keyed by the files' names, sizes and times and the shape. A process decodes
// one file at a time (see DecoderProcesses): with a harness binary to start, the files are
// shared among one child process per core.
import CVips
import Foundation
import HarnessSupport

public enum ImageFolder {
    public static let heldOutFraction = 0.2
    /// Files with these suffixes are images; others (a README, .DS_Store) are counted and left out.
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "webp", "tif", "tiff", "gif"]

    /// How to bring a folder's images to a network.
    public struct Options: Sendable {
        /// The network's input; nil: the first image's size and colour (its own shape, when
        /// every image has one).
        public var shape: InputShape?
        /// Convert colour images to grayscale (the `@gray` transform); without it a colour image
        /// for a one-channel network is an error.
        public var grayscale: Bool
        /// Leave out files libvips cannot decode (counted in the report) instead of failing.
        public var skipUndecodable: Bool
        /// Where decoded folders are kept (nil: decode every time).
        public var cache: DecodedImageCache?
        /// Child processes to decode in, one per core (nil: one file at a time in this process).
        public var decoders: DecoderProcesses?
        /// How each image is brought to `shape` (the model's framing).
        public var framing: Framing

        public init(shape: InputShape? = nil, grayscale: Bool = false, skipUndecodable: Bool = false,
                    cache: DecodedImageCache? = DecodedImageCache(), decoders: DecoderProcesses? = nil, framing: Framing = .stretch) {
            self.framing = framing
            self.shape = shape
            self.grayscale = grayscale
            self.skipUndecodable = skipUndecodable
            self.cache = cache
            self.decoders = decoders
        }
    }

    /// What loading did, for the user.
    public struct Report: Sendable {
        public var images = 0
        public var fromCache = false
        public var seconds = 0.0
        /// Files left out with --skip-undecodable: path and reason.
        public var skipped: [String] = []
        /// Files that are not images by their suffix.
        public var ignored: [String] = []

        public var summary: String {
            var s = "\(images) images " + (fromCache ? "from the decoded-image cache" : "decoded") + String(format: " in %.1f s", seconds)
            if !skipped.isEmpty { s += "; \(skipped.count) undecodable file\(skipped.count == 1 ? "" : "s") skipped (first: \(skipped[0]))" }
            if !ignored.isEmpty { s += "; \(ignored.count) non-image file\(ignored.count == 1 ? "" : "s") ignored (first: \(ignored[0]))" }
            return s
        }
    }

    public static func isImageFolder(_ directory: String) -> Bool {
        holdsClassFolders(directory) || holdsClassFolders((directory as NSString).appendingPathComponent("train"))
    }

    /// Whether some sub-folder of `directory` holds images.
    static func holdsClassFolders(_ directory: String) -> Bool {
        subfolders(directory).contains { !files($0).images.isEmpty }
    }

    /// The folder's images at `options.shape`, and what loading did.
    public static func load(directory: String, options: Options = Options(), seed: UInt64 = 0) throws -> (Dataset, Report) {
        let start = Date()
        let layout = try Layout(directory)
        var report = Report()
        report.ignored = layout.ignored
        var options = options
        if options.shape == nil { options.shape = try layout.naturalShape(grayscale: options.grayscale) }
        var roots: [String: DecodedRoot] = [:]
        let key = layout.cacheKey(options)
        if let cached = options.cache?.read(key: key, roots: layout.roots.map(\.name)) {
            if let first = cached.skipped.first, !options.skipUndecodable {
                // Cached with --skip-undecodable; without it the same file is still an error.
                throw DataError.undecodable(path: first.components(separatedBy: ": ").first ?? first, reason: "decoded before and skipped")
            }
            roots = cached.roots
            report.skipped = cached.skipped
            report.fromCache = true
        } else {
            for root in layout.roots {
                let (decoded, skipped) = try decode(root, options: options)
                roots[root.name] = decoded
                report.skipped += skipped
            }
            try? options.cache?.write(key: key, roots: roots, skipped: report.skipped, source: directory)
        }
        let decoded = roots.mapValues(\.imageSet)
        let name = (directory as NSString).lastPathComponent
        let dataset: Dataset
        if let train = decoded["train"] {
            dataset = Dataset(name: name, classNames: layout.classes, train: train, test: decoded["test"] ?? train.subset([]))
        } else {
            let all = decoded["all"]!
            var generator = SeededGenerator(seed: seed, stream: "image-folder-holdout")
            var trainIdx: [Int] = [], testIdx: [Int] = []
            for (_, idx) in all.indicesByLabel().sorted(by: { $0.key < $1.key }) {
                let shuffled = idx.shuffled(using: &generator)
                let held = Int((Double(idx.count) * heldOutFraction).rounded())
                testIdx += shuffled.prefix(held)
                trainIdx += shuffled.dropFirst(held)
            }
            dataset = Dataset(name: name, classNames: layout.classes, train: all.subset(trainIdx.sorted()), test: all.subset(testIdx.sorted()))
        }
        report.images = dataset.train.count + dataset.test.count
        report.seconds = Date().timeIntervalSince(start)
        return (dataset, report)
    }

    /// Which files make up the data set.
    struct Layout {
        struct Root { var name: String; var path: String; var files: [(label: Int, path: String)] }
        var classes: [String]
        var roots: [Root]
        var ignored: [String]

        init(_ directory: String) throws {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
                throw DataError.unreadable(path: directory, reason: "no such directory")
            }
            let trainDir = (directory as NSString).appendingPathComponent("train")
            let testDir = (directory as NSString).appendingPathComponent("test")
            var rootPaths: [(String, String)]
            if holdsClassFolders(trainDir) {
                classes = try classFolders(trainDir)
                let testClasses = FileManager.default.fileExists(atPath: testDir) ? try classFolders(testDir) : []
                guard Set(testClasses).isSubset(of: classes) else {
                    throw DataError.mismatch("\(testDir) has classes not in \(trainDir): \(Set(testClasses).subtracting(classes).sorted())")
                }
                // A class without test images would be scored on none of them.
                guard testClasses.isEmpty || Set(testClasses) == Set(classes) else {
                    throw DataError.mismatch("\(testDir) lacks classes that \(trainDir) has: \(Set(classes).subtracting(testClasses).sorted().joined(separator: ", ")); "
                                             + "add test images for them, or move them out of train/ too")
                }
                rootPaths = [("train", trainDir)] + (testClasses.isEmpty ? [] : [("test", testDir)])
            } else {
                guard holdsClassFolders(directory) else { throw DataError.noImages(path: directory) }
                classes = try classFolders(directory)
                rootPaths = [("all", directory)]
            }
            ignored = []
            roots = []
            for (name, path) in rootPaths {
                var files: [(Int, String)] = []
                for (label, cls) in classes.enumerated() {
                    let found = ImageFolder.files((path as NSString).appendingPathComponent(cls))
                    files += found.images.map { (label, $0) }
                    ignored += found.others
                }
                roots.append(Root(name: name, path: path, files: files))
            }
        }

        /// The first image's size, and one channel if it is grayscale (or made so), else three.
        func naturalShape(grayscale: Bool) throws -> InputShape {
            let first = roots[0].files[0].path
            try ImageFolder.requireRegularFile(first)
            do {
                let image = try VipsImage.open(first)
                return InputShape(channels: grayscale || image.colourBands < 3 ? 1 : 3, height: image.height, width: image.width)
            } catch let e as VipsError {
                throw DataError.undecodable(path: first, reason: e.message)
            }
        }

        /// Every file's name, size and modification time, the shape, and the decoder's version:
        /// a changed, added or removed file, or another network input, decodes again.
        func cacheKey(_ options: Options) -> String {
            var h = StableHash()
            h.add("decoded-images v1 vips \(vips_version(0)).\(vips_version(1)) \(options.shape!) gray \(options.grayscale)")
            if options.framing != .stretch { h.add("framing \(options.framing)") }
            for root in roots {
                for (label, path) in root.files {
                    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
                    let size = (attributes?[.size] as? Int) ?? -1
                    let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                    h.add("\(root.name)/\(label)/\(path)/\(size)/\(modified)")
                }
            }
            return h.hex
        }
    }

    /// Decodes one root's files; returns their pixels and the files skipped.
    static func decode(_ root: Layout.Root, options: Options) throws -> (DecodedRoot, [String]) {
        let shape = options.shape!
        let files = root.files
        let results: [Result<[UInt8], DataError>]
        if let decoders = options.decoders, decoders.processes > 1, files.count >= 2 * DecoderProcesses.minimumFilesPerProcess {
            results = try decoders.run(files.map(\.path), shape: shape, grayscale: options.grayscale, framing: options.framing)
        } else {
            results = files.map { decodeResult($0.path, shape: shape, grayscale: options.grayscale, framing: options.framing) }
        }
        var bytes: [UInt8] = [], labels: [Int] = [], skipped: [String] = []
        bytes.reserveCapacity(files.count * shape.channels * shape.height * shape.width)
        for (i, result) in results.enumerated() {
            switch result {
            case let .success(b):
                bytes += b
                labels.append(files[i].label)
            case let .failure(.undecodable(path, reason)) where options.skipUndecodable:
                skipped.append("\(path): \(reason)")
            case let .failure(error):
                throw error
            }
        }
        return (DecodedRoot(shape: shape, bytes: bytes, labels: labels), skipped)
    }

    /// One file decoded, or why not: every failure as a DataError naming the file.
    static func decodeResult(_ path: String, shape: InputShape, grayscale: Bool, framing: Framing = .stretch) -> Result<[UInt8], DataError> {
        do { return .success(try decodeFile(path, shape: shape, grayscale: grayscale, framing: framing)) } catch let error as DataError {
            return .failure(error)
        } catch {
            return .failure(.undecodable(path: path, reason: "\(error)"))
        }
    }

    /// One file as 8-bit channels-first pixels at `shape`.
    /// Only regular files are read: a FIFO named like an image would block the read for ever, a
    /// device would never end.
    static func requireRegularFile(_ path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else { throw DataError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw DataError.unreadable(path: path, reason: "not a regular file (a device or a pipe); an image is a file")
        }
    }

    static func decodeFile(_ path: String, shape: InputShape, grayscale: Bool, framing: Framing = .stretch) throws -> [UInt8] {
        try requireRegularFile(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.unreadable(path: path, reason: "cannot read the file")
        }
        // Every libvips image here reads from `data` lazily, so all work happens inside.
        return try data.withUnsafeBytes { bytes in
            var image: VipsImage
            // A crop needs the shorter side at the crop's size over its fraction.
            let least: (Int, Int)
            if case let .centreCrop(f) = framing {
                let side = Int((Double(max(shape.width, shape.height)) / f).rounded(.up))
                least = (side, side)
            } else {
                least = (shape.width, shape.height)
            }
            do { image = try VipsImage.decode(bytes: bytes, atLeast: least.0, least.1) } catch let e as VipsError {
                throw DataError.undecodable(path: path, reason: e.message)
            }
            do {
                // libvips decodes, flattens alpha, converts unusual encodings (16-bit, CMYK, Lab)
                // and resizes; the last step, one or three channels, is a weighted sum or a copy
                // per pixel here: every libvips operation costs a fixed 0.1-0.3 ms per image.
                if image.hasAlpha { image = try image.flatten() }
                let plain = vips_image_get_format(image.pointer) == VIPS_FORMAT_UCHAR
                    && [VIPS_INTERPRETATION_sRGB, VIPS_INTERPRETATION_B_W, VIPS_INTERPRETATION_MULTIBAND].contains(image.interpretation)
                if !plain { image = try image.colourspace(image.colourBands >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W).castUChar() }
                let colour = image.colourBands >= 3
                if colour && shape.channels == 1 && !grayscale { throw DataError.tooManyChannels(data: path, has: image.colourBands, network: 1) }
                image = try image.framed(width: shape.width, height: shape.height, framing)
                var interleaved: [UInt8] = []
                try image.appendInterleaved(to: &interleaved)
                return Self.planes(interleaved, bands: image.bands, colour: colour, channels: shape.channels, gray: grayscale)
            } catch let e as VipsError {
                throw DataError.undecodable(path: path, reason: e.description)
            }
        }
    }

    /// Band-interleaved 8-bit pixels as `channels` planes: colour to luma (ITU-R BT.601, as
    /// libvips and PIL convert) for one channel or with `gray`, one band repeated for three.
    static func planes(_ px: [UInt8], bands: Int, colour: Bool, channels: Int, gray: Bool) -> [UInt8] {
        let hw = px.count / bands
        var out = [UInt8](repeating: 0, count: hw * channels)
        for i in 0..<hw {
            let b = i * bands
            var luma = px[b]
            if colour {
                let y: Double = 0.299 * Double(px[b]) + 0.587 * Double(px[b + 1]) + 0.114 * Double(px[b + 2])
                luma = UInt8(min(255, y.rounded()))
            }
            if channels == 1 || (colour && gray) || !colour {
                for c in 0..<channels { out[c * hw + i] = luma }
            } else {
                for c in 0..<channels { out[c * hw + i] = px[b + c] }
            }
        }
        return out
    }

    /// The class names: every visible sub-folder. One without images is an error, not a class
    /// silently dropped (which would shift every later class's index).
    static func classFolders(_ directory: String) throws -> [String] {
        let folders = subfolders(directory)
        if let empty = folders.first(where: { files($0).images.isEmpty }) { throw DataError.emptyClass(path: empty) }
        let names = folders.map { ($0 as NSString).lastPathComponent }
        // "Sneaker" and "sneaker" are one class to a person and two to a file system.
        let byCase = Dictionary(grouping: names) { $0.lowercased() }.values.filter { $0.count > 1 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
        if let twins = byCase.first {
            throw DataError.mismatch("\(directory) has class folders that differ only in case: \(twins.joined(separator: " and ")); "
                                     + "merge them into one folder (or rename one if they really are different classes)")
        }
        return names
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

    /// A class folder's image files (by suffix), sorted, and its other visible files.
    static func files(_ directory: String) -> (images: [String], others: [String]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        let paths = names.map { (directory as NSString).appendingPathComponent($0) }
        let isImage = { (p: String) in imageExtensions.contains((p as NSString).pathExtension.lowercased()) }
        let folders = Set(subfolders(directory))
        return (paths.filter(isImage), paths.filter { !isImage($0) && !folders.contains($0) })
    }
}

/// A folder's images as decoded: 8-bit pixels, channels first, and their labels. The decoded-image
/// cache stores exactly this; the engine's floats are made from it once.
struct DecodedRoot {
    var shape: InputShape
    var bytes: [UInt8]
    var labels: [Int]

    var imageSet: ImageSet {
        ImageSet(channels: shape.channels, height: shape.height, width: shape.width, bytes: bytes, labels: labels)
    }
}
