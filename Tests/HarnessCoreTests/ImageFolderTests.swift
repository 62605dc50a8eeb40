import XCTest
@testable import HarnessCore
@testable import HarnessData

final class ImageFolderTests: XCTestCase {
    /// Writes an image with libvips: gray (1 channel) or RGB (3 channels); the suffix names the format.
    func writeImage(_ path: String, width: Int, height: Int, channels: Int, value: (Int, Int, Int) -> UInt8) throws {
        var planes = [Float](repeating: 0, count: width * height * channels)
        for c in 0..<channels { for y in 0..<height { for x in 0..<width { planes[(c * height + y) * width + x] = Float(value(x, y, c)) / 255 } } }
        try ImageFile.write(planes, shape: InputShape(channels: channels, height: height, width: width), to: path)
    }

    func makeFolder(_ root: String, classes: [String], perClass: Int, channels: Int = 1, size: Int = 5, suffix: String = "png") throws {
        for (k, cls) in classes.enumerated() {
            try FileManager.default.createDirectory(atPath: "\(root)/\(cls)", withIntermediateDirectories: true)
            for i in 0..<perClass {
                try writeImage("\(root)/\(cls)/img\(i).\(suffix)", width: size, height: size, channels: channels) { x, y, c in UInt8((k * 60 + x + y + c * 7 + i) % 256) }
            }
        }
    }

    func testClassFoldersWithSeededHoldOut() throws {
        let root = try temporaryDirectory(self)
        try makeFolder(root, classes: ["cat", "dog"], perClass: 10)
        let d = try DataSource.directory(root).load(seed: 1)
        XCTAssertEqual(d.classNames, ["cat", "dog"])
        XCTAssertEqual(d.train.count, 16)
        XCTAssertEqual(d.test.count, 4)
        XCTAssertEqual([d.train.channels, d.train.height, d.train.width], [1, 5, 5])
        XCTAssertEqual(d.train.pixels[0], 0)  // cat img0 at (0, 0) is 0
        XCTAssertEqual(try DataSource.directory(root).load(seed: 1).test.pixels, d.test.pixels)
    }

    func testTrainAndTestFoldersInColour() throws {
        let root = try temporaryDirectory(self)
        try makeFolder(root + "/train", classes: ["a", "b", "c"], perClass: 3, channels: 3)
        try makeFolder(root + "/test", classes: ["a", "b", "c"], perClass: 2, channels: 3)
        let d = try ImageFolder.load(directory: root, options: .init(cache: nil)).0
        XCTAssertEqual(d.train.count, 9)
        XCTAssertEqual(d.test.count, 6)
        XCTAssertEqual(d.train.channels, 3)
        // Channels first: image 0's green plane starts at value 7.
        XCTAssertEqual(d.train.pixels[25], 7.0 / 255, accuracy: 1e-7)
    }

    func testAnyFormatAnySizeBroughtToTheNetworksInput() throws {
        let root = try temporaryDirectory(self)
        try makeFolder(root, classes: ["a", "b"], perClass: 2, channels: 3, size: 40, suffix: "jpg")
        try writeImage(root + "/a/wide.webp", width: 64, height: 20, channels: 3) { _, _, c in c == 0 ? 255 : 0 }
        try writeImage(root + "/b/small.png", width: 9, height: 7, channels: 1) { _, _, _ in 128 }
        try Data("notes".utf8).write(to: URL(fileURLWithPath: root + "/a/README.txt"))
        let shape = InputShape(channels: 3, height: 12, width: 10)
        let (d, report) = try ImageFolder.load(directory: root, options: .init(shape: shape, cache: nil))
        XCTAssertEqual(d.train.count + d.test.count, 6)
        XCTAssertEqual(InputShape(d.train), shape)
        XCTAssertEqual(report.ignored, [root + "/a/README.txt"])
        // The gray PNG is repeated into three equal channels; the red WebP stays red.
        XCTAssertTrue(d.train.pixels.allSatisfy { (0...1).contains($0) })
        let hw = 12 * 10
        let gray = try ImageFolder.decodeFile(root + "/b/small.png", shape: shape, grayscale: false)
        XCTAssertEqual(Set(gray).count, 1, "a flat gray image stays flat in all channels")
        XCTAssertEqual(Int(gray[0]), 128, accuracy: 1)
        let red = try ImageFolder.decodeFile(root + "/a/wide.webp", shape: shape, grayscale: false)
        XCTAssertGreaterThan(Int(red[0]), 240)
        XCTAssertLessThan(Int(red[hw]), 15)
        // Loading through a data spec says so: the one grayscale file is named as such, never silently expanded.
        let loaded = try DataSpec(root).load(LoadingOptions(shape: shape, cache: nil))
        XCTAssertEqual(loaded.notes, ["\(root): 1 of 6 images are grayscale, each repeated into the network's 3 channels"])
        XCTAssertEqual(try DataSpec(root + "@gray").load(LoadingOptions(shape: InputShape(channels: 1, height: 12, width: 10), cache: nil)).notes, [],
                       "nothing to say when the network is gray")
    }

    func testColourForAGrayNetworkNeedsTheGrayTransform() throws {
        let root = try temporaryDirectory(self)
        try makeFolder(root, classes: ["a", "b"], perClass: 2, channels: 1, size: 8)
        try writeImage(root + "/b/colour.jpg", width: 8, height: 8, channels: 3) { x, _, c in UInt8(x * 20 + c * 50) }
        let gray = InputShape(channels: 1, height: 8, width: 8)
        XCTAssertThrowsError(try ImageFolder.load(directory: root, options: .init(shape: gray, cache: nil))) {
            XCTAssertTrue("\($0)".contains("colour.jpg: 3-channel (colour) images, but the source network takes 1-channel images. help: add @gray"), "\($0)")
        }
        let (d, _) = try ImageFolder.load(directory: root, options: .init(shape: gray, grayscale: true, cache: nil))
        XCTAssertEqual(d.train.channels, 1)
        // The SPEC says the same thing.
        XCTAssertEqual(try DataSpec(root + "@gray").load(LoadingOptions(shape: gray, cache: nil)).dataset.train.channels, 1)
    }

    func testUndecodableFilesAreNamedOrSkippedAndCounted() throws {
        let root = try temporaryDirectory(self)
        try makeFolder(root, classes: ["a", "b"], perClass: 3)
        try Data("not a jpeg".utf8).write(to: URL(fileURLWithPath: root + "/a/zz.jpg"))
        XCTAssertThrowsError(try ImageFolder.load(directory: root, options: .init(cache: nil))) {
            XCTAssertTrue("\($0)".hasPrefix("\(root)/a/zz.jpg cannot be decoded as an image"), "\($0)")
            XCTAssertTrue("\($0)".contains("--skip-undecodable"), "\($0)")
        }
        let (d, report) = try ImageFolder.load(directory: root, options: .init(skipUndecodable: true, cache: nil))
        XCTAssertEqual(d.train.count + d.test.count, 6)
        XCTAssertEqual(report.skipped.count, 1)
        XCTAssertTrue(report.summary.contains("1 undecodable file skipped (first: \(root)/a/zz.jpg"), report.summary)
    }

    /// A PNG of a few dozen bytes whose header declares width x height 8-bit gray pixels (its
    /// one data chunk is an empty zlib stream): once 2.4 GB resident and an abort, now one
    /// file's error.
    static func pngBomb(width: UInt32, height: UInt32) -> Data {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)] }
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in typed {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return be(UInt32(body.count)) + typed + be(crc ^ 0xFFFF_FFFF)
        }
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", be(width) + be(height) + [8, 0, 0, 0, 0])
                    + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", []))
    }

    func testAnImageWhoseHeaderDeclaresTooManyPixelsIsRefusedBeforeDecoding() throws {
        let root = try temporaryDirectory(self)
        try makeFolder(root, classes: ["a", "b"], perClass: 3)
        try Self.pngBomb(width: 100_000, height: 100_000).write(to: URL(fileURLWithPath: root + "/a/bomb.png"))
        for shape in [InputShape(channels: 1, height: 5, width: 5), nil] {
            XCTAssertThrowsError(try ImageFolder.load(directory: root, options: .init(shape: shape, cache: nil))) {
                XCTAssertTrue("\($0)".hasPrefix("\(root)/a/"), "\($0)")
                XCTAssertTrue("\($0)".contains("its header declares 100000 x 100000 pixels, beyond the limit of 100 megapixels"), "\($0)")
            }
        }
        let (d, report) = try ImageFolder.load(directory: root, options: .init(shape: InputShape(channels: 1, height: 5, width: 5), skipUndecodable: true, cache: nil))
        XCTAssertEqual(d.train.count + d.test.count, 6)
        XCTAssertEqual(report.skipped.count, 1)
    }

    func testAFIFONamedLikeAnImageIsRefusedNotRead() throws {
        let root = try temporaryDirectory(self)
        try makeFolder(root, classes: ["a", "b"], perClass: 3)
        XCTAssertEqual(mkfifo(root + "/b/pipe.png", 0o644), 0)
        for shape in [InputShape(channels: 1, height: 5, width: 5), nil] {
            XCTAssertThrowsError(try ImageFolder.load(directory: root, options: .init(shape: shape, cache: nil))) {
                XCTAssertTrue("\($0)".contains("pipe.png") && "\($0)".contains("not a regular file (a device or a pipe)"), "\($0)")
            }
        }
    }

    /// ImageNet's framing keeps the centre and the proportions; stretching squeezes the edges in.
    func testACentreCropFramingKeepsTheCentreAndTheProportions() throws {
        let root = try temporaryDirectory(self)
        // 40 wide, 20 high: black, then gray in the middle 28 columns, then white; the centre
        // crop (the middle 20 columns) stays clear of the edges resampling blends in.
        for (cls, i) in [("a", 0), ("a", 1), ("a", 2), ("b", 0), ("b", 1), ("b", 2)] {
            try FileManager.default.createDirectory(atPath: root + "/\(cls)", withIntermediateDirectories: true)
            try writeImage(root + "/\(cls)/\(i).png", width: 40, height: 20, channels: 1) { x, _, _ in x < 6 ? 0 : x < 34 ? 128 : 255 }
        }
        let shape = InputShape(channels: 1, height: 8, width: 8)
        let cropped = try ImageFolder.load(directory: root, options: .init(shape: shape, cache: nil, framing: .centreCrop(fraction: 1)), seed: 1).0
        let all = cropped.train.pixels + cropped.test.pixels
        XCTAssertTrue(all.allSatisfy { abs($0 - 128 / 255) < 0.03 }, "only the gray centre: \(all.prefix(8))")
        let stretched = try ImageFolder.load(directory: root, options: .init(shape: shape, cache: nil), seed: 1).0
        XCTAssertLessThan(stretched.train.pixels.min()!, 0.2)
        XCTAssertGreaterThan(stretched.train.pixels.max()!, 0.8)
        // A crop larger than the image scales it up first; ImageNet's framing of an 8x8 input
        // scales the shorter side to 9 and keeps the centre 8x8.
        let tiny = try ImageFolder.load(directory: root, options: .init(shape: InputShape(channels: 1, height: 32, width: 32), cache: nil, framing: .imageNet), seed: 1).0
        XCTAssertEqual(tiny.train.pixels.count, tiny.train.count * 32 * 32)
        XCTAssertEqual(Framing.imageNet.caption(InputShape(channels: 3, height: 224, width: 224)),
                       "shorter side scaled to 256, centre 224x224 cropped (fraction 0.875)")
        XCTAssertThrowsError(try Framing(parsing: "crop:1.5")) { XCTAssertTrue("\($0)".contains("crop:FRACTION with 0 < FRACTION <= 1"), "\($0)") }
    }

    /// Once accepted silently: train/ with a case-duplicate class, test/ with two of four classes
    /// (the others scored 0 and macro-F1 fell to 0.38).
    func testTrainAndTestMustHoldTheSameClassesAndNoCaseTwins() throws {
        let root = try temporaryDirectory(self)
        try makeFolder(root + "/train", classes: ["Boot", "Coat", "Sneaker"], perClass: 3)
        try makeFolder(root + "/test", classes: ["Boot", "Coat"], perClass: 2)
        XCTAssertThrowsError(try ImageFolder.load(directory: root, options: .init(shape: InputShape(channels: 1, height: 5, width: 5), cache: nil))) {
            XCTAssertEqual("\($0)", "\(root)/test lacks classes that \(root)/train has: Sneaker; add test images for them, or move them out of train/ too")
        }
        try makeFolder(root + "/test", classes: ["Sneaker"], perClass: 2)
        try makeFolder(root + "/train", classes: ["sneaker"], perClass: 2)
        XCTAssertThrowsError(try ImageFolder.load(directory: root, options: .init(shape: InputShape(channels: 1, height: 5, width: 5), cache: nil))) {
            XCTAssertTrue("\($0)".contains("\(root)/train has class folders that differ only in case: Sneaker and sneaker"), "\($0)")
        }
    }

    func testASecondLoadComesFromTheDecodedCacheUntilAFileChanges() throws {
        let root = try temporaryDirectory(self)
        try makeFolder(root, classes: ["a", "b"], perClass: 3, channels: 3, size: 20, suffix: "jpg")
        let options = ImageFolder.Options(shape: InputShape(channels: 3, height: 8, width: 8), cache: DecodedImageCache(directory: root + "-cache"))
        let (first, r1) = try ImageFolder.load(directory: root, options: options)
        let (second, r2) = try ImageFolder.load(directory: root, options: options)
        XCTAssertFalse(r1.fromCache)
        XCTAssertTrue(r2.fromCache)
        XCTAssertEqual(first.train.pixels, second.train.pixels)
        XCTAssertEqual(first.test.labels, second.test.labels)
        try writeImage(root + "/b/new.png", width: 5, height: 5, channels: 1) { _, _, _ in 9 }
        let (third, r3) = try ImageFolder.load(directory: root, options: options)
        XCTAssertFalse(r3.fromCache, "an added file decodes again")
        XCTAssertEqual(third.train.count + third.test.count, 7)
        // Another shape is another entry.
        var other = options
        other.shape = InputShape(channels: 1, height: 4, width: 4)
        other.grayscale = true
        XCTAssertFalse(try ImageFolder.load(directory: root, options: other).1.fromCache)
        try? FileManager.default.removeItem(atPath: root + "-cache")
    }

    func testDecodingInChildProcessesGivesTheSamePixelsAndErrors() throws {
        var dir = Bundle(for: ImageFolderTests.self).bundleURL
        while dir.lastPathComponent.hasSuffix(".xctest") { dir.deleteLastPathComponent() }
        let harness = dir.appendingPathComponent("harness").path
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: harness), "swift build --build-tests builds harness beside the tests")
        let root = try temporaryDirectory(self)
        try makeFolder(root, classes: ["a", "b"], perClass: 20, channels: 3, size: 50, suffix: "jpg")
        try makeFolder(root, classes: ["c"], perClass: 20, channels: 1, size: 33, suffix: "webp")
        try makeFolder(root, classes: ["d"], perClass: 15, channels: 3, size: 20, suffix: "png")
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: root + "/d/zz.png"))
        let shape = InputShape(channels: 3, height: 16, width: 16)
        let here = ImageFolder.Options(shape: shape, skipUndecodable: true, cache: nil)
        var there = here
        there.decoders = DecoderProcesses(executable: harness, processes: 2)
        let (a, ra) = try ImageFolder.load(directory: root, options: here)
        let (b, rb) = try ImageFolder.load(directory: root, options: there)
        XCTAssertEqual(a.train.count + a.test.count, 75)
        XCTAssertEqual(a.train.pixels, b.train.pixels)
        XCTAssertEqual(a.test.labels, b.test.labels)
        XCTAssertEqual(ra.skipped, rb.skipped)
        XCTAssertEqual(rb.skipped.count, 1)
        there.skipUndecodable = false
        XCTAssertThrowsError(try ImageFolder.load(directory: root, options: there)) {
            XCTAssertTrue("\($0)".hasPrefix("\(root)/d/zz.png cannot be decoded as an image"), "\($0)")
        }
        there.decoders = DecoderProcesses(executable: "/bin/false", processes: 2)
        there.skipUndecodable = true
        XCTAssertThrowsError(try ImageFolder.load(directory: root, options: there)) {
            XCTAssertTrue("\($0)".contains("the process decoding it and 37 other files failed (exited with status 1"), "\($0)")
        }
    }

    func testAnEmptyClassFolderIsNamedNotDropped() throws {
        let root = try temporaryDirectory(self)
        try makeFolder(root, classes: ["a", "c"], perClass: 3)
        try FileManager.default.createDirectory(atPath: root + "/b", withIntermediateDirectories: true)
        // Dropping "b" silently would make "c" class 1 in this run and class 2 in the next.
        XCTAssertThrowsError(try ImageFolder.load(directory: root, options: .init(cache: nil))) {
            XCTAssertEqual("\($0)", "\(root)/b: this class folder holds no images. help: add images to it, or remove the folder")
        }
        try makeFolder(root + "/train", classes: ["a", "b"], perClass: 2)
        try FileManager.default.createDirectory(atPath: root + "/test/b", withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageFolder.load(directory: root, options: .init(cache: nil))) { XCTAssertTrue("\($0)".hasPrefix("\(root)/test/b: this class folder holds no images"), "\($0)") }
    }

    func testAnEmptyFolderSaysWhatWasExpected() throws {
        let root = try temporaryDirectory(self)
        XCTAssertThrowsError(try DataSource.directory(root).load()) { XCTAssertTrue("\($0)".contains("expected four IDX files"), "\($0)") }
    }
}
