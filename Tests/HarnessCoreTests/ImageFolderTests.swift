import CPNG
import XCTest
@testable import HarnessCore

final class ImageFolderTests: XCTestCase {
    /// Writes a PNG with libpng's simplified API: gray (1 channel) or RGB (3 channels).
    func writePNG(_ path: String, width: Int, height: Int, channels: Int, value: (Int, Int, Int) -> UInt8) throws {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        var bytes = [UInt8](repeating: 0, count: width * height * channels)
        for y in 0..<height { for x in 0..<width { for c in 0..<channels { bytes[(y * width + x) * channels + c] = value(x, y, c) } } }
        let ok = bytes.withUnsafeBytes { png_image_write_to_file(&image, path, 0, $0.baseAddress, 0, nil) }
        XCTAssertNotEqual(ok, 0, "writing \(path)")
    }

    func makeFolder(_ root: String, classes: [String], perClass: Int, channels: Int = 1, size: Int = 5) throws {
        for (k, cls) in classes.enumerated() {
            try FileManager.default.createDirectory(atPath: "\(root)/\(cls)", withIntermediateDirectories: true)
            for i in 0..<perClass {
                try writePNG("\(root)/\(cls)/img\(i).png", width: size, height: size, channels: channels) { x, y, c in UInt8((k * 60 + x + y + c * 7 + i) % 256) }
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
        let d = try ImageFolder.load(directory: root)
        XCTAssertEqual(d.train.count, 9)
        XCTAssertEqual(d.test.count, 6)
        XCTAssertEqual(d.train.channels, 3)
        // Channels first: image 0's green plane starts at value 7.
        XCTAssertEqual(d.train.pixels[25], 7.0 / 255, accuracy: 1e-7)
    }

    func testMixedSizesAndBrokenFilesAreNamed() throws {
        let root = try temporaryDirectory(self)
        try makeFolder(root, classes: ["a", "b"], perClass: 2)
        try writePNG(root + "/b/big.png", width: 6, height: 5, channels: 1) { _, _, _ in 0 }
        XCTAssertThrowsError(try ImageFolder.load(directory: root)) { XCTAssertTrue("\($0)".contains("big.png is 6x5"), "\($0)") }
        try FileManager.default.removeItem(atPath: root + "/b/big.png")
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: root + "/a/zz.png"))
        XCTAssertThrowsError(try ImageFolder.load(directory: root)) { XCTAssertTrue("\($0)".contains("zz.png: not a readable PNG"), "\($0)") }
    }

    func testAnEmptyClassFolderIsNamedNotDropped() throws {
        let root = try temporaryDirectory(self)
        try makeFolder(root, classes: ["a", "c"], perClass: 3)
        try FileManager.default.createDirectory(atPath: root + "/b", withIntermediateDirectories: true)
        // Dropping "b" silently would make "c" class 1 in this run and class 2 in the next.
        XCTAssertThrowsError(try ImageFolder.load(directory: root)) {
            XCTAssertEqual("\($0)", "\(root)/b: this class folder holds no images. help: add images to it, or remove the folder")
        }
        try makeFolder(root + "/train", classes: ["a", "b"], perClass: 2)
        try FileManager.default.createDirectory(atPath: root + "/test/b", withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageFolder.load(directory: root)) { XCTAssertTrue("\($0)".hasPrefix("\(root)/test/b: this class folder holds no images"), "\($0)") }
    }

    func testAnEmptyFolderSaysWhatWasExpected() throws {
        let root = try temporaryDirectory(self)
        XCTAssertThrowsError(try DataSource.directory(root).load()) { XCTAssertTrue("\($0)".contains("expected four IDX files"), "\($0)") }
    }
}
