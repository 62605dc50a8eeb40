import XCTest
@testable import HarnessCore
@testable import HarnessData

final class IDXFileTests: XCTestCase {
    func testReadsPlainAndGzip() throws {
        let dir = try temporaryDirectory(self)
        let bytes = idxBytes([3, 2, 2])
        try write(bytes, to: dir + "/plain")
        try write(bytes, to: dir + "/zipped")
        try gzip(dir + "/zipped")
        let plain = try IDXFile(contentsOf: dir + "/plain")
        let zipped = try IDXFile(contentsOf: dir + "/zipped.gz")
        XCTAssertEqual(plain.dimensions, [3, 2, 2])
        XCTAssertEqual(plain.bytes, Array(bytes[16...]))
        XCTAssertEqual(plain, zipped)
    }

    func assertCorrupt(_ bytes: [UInt8], mentions fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try IDXFile(data: bytes, path: "/data/x-idx3-ubyte"), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("/data/x-idx3-ubyte"), "names the file: \(text)", file: file, line: line)
            XCTAssertTrue(text.contains(fragment), "says '\(fragment)': \(text)", file: file, line: line)
        }
    }

    func testRejectsDamagedFilesWithReasons() {
        let good = idxBytes([4, 3])
        assertCorrupt([0, 0], mentions: "shorter than the 4-byte header")
        assertCorrupt([1] + good.dropFirst(), mentions: "bad magic number")
        assertCorrupt([0, 0, 0x0D] + good.dropFirst(3), mentions: "element type 0x0d")
        assertCorrupt([0, 0, 8, 9] + good.dropFirst(4), mentions: "9 dimensions")
        assertCorrupt(Array(good.prefix(6)), mentions: "truncated header")
        assertCorrupt(Array(good.dropLast(5)), mentions: "truncated: header says 4x3 = 12 bytes of data, file has 7")
        assertCorrupt(good + [1, 2], mentions: "2 bytes of trailing data")
    }

    func testTruncatedGzipIsAnErrorNotACrash() throws {
        let dir = try temporaryDirectory(self)
        try write(idxBytes([200, 28, 28]), to: dir + "/images")
        try gzip(dir + "/images")
        let full = try Data(contentsOf: URL(fileURLWithPath: dir + "/images.gz"))
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: dir + "/cut.gz"))
        XCTAssertThrowsError(try IDXFile(contentsOf: dir + "/cut.gz")) { error in
            XCTAssertTrue("\(error)".contains("cut.gz"), "\(error)")
        }
    }

    func testSizesFromTheHeaderAreCheckedBeforeAnythingIsAllocated() throws {
        // 65535^4 bytes overflows 64 bits: the product once trapped the host.
        var header: [UInt8] = [0, 0, 8, 4]
        for _ in 0..<4 { header += [0, 0, 0xFF, 0xFF] }
        XCTAssertThrowsError(try IDXFile(data: header, path: "/data/huge")) {
            XCTAssertEqual("\($0)", "/data/huge is not a valid IDX file: the header says 65535x65535x65535x65535, more than the 2 GiB of data an IDX file may hold here (a damaged header?)")
        }
        // A gzip bomb: a header announcing one byte, then 64 MB of zeros that compress to almost
        // nothing. Reading stops one byte past what the header admits.
        let dir = try temporaryDirectory(self)
        try write(idxBytes([1]) + [UInt8](repeating: 0, count: 64 << 20), to: dir + "/bomb")
        try gzip(dir + "/bomb")
        XCTAssertThrowsError(try IDXFile(contentsOf: dir + "/bomb.gz")) {
            XCTAssertEqual("\($0)", "\(dir)/bomb.gz is not a valid IDX file: trailing data after 1 = 1 bytes")
        }
    }

    func testOnlyRegularFilesAreOpened() throws {
        let dir = try temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: dir + "/a-directory", withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(dir + "/a-pipe", 0o600), 0)
        // A directory, an endless device and a pipe (which would block the read forever).
        for path in [dir + "/a-directory", "/dev/zero", dir + "/a-pipe"] {
            XCTAssertThrowsError(try IDXFile(contentsOf: path)) {
                XCTAssertEqual("\($0)", "cannot read \(path): not a regular file (a directory, a device or a pipe); IDX data is a file")
            }
        }
    }

    func testMissingFileIsNamed() {
        XCTAssertThrowsError(try IDXFile(contentsOf: "/nonexistent/train-images-idx3-ubyte")) { error in
            XCTAssertEqual("\(error)", "cannot read /nonexistent/train-images-idx3-ubyte: no such file")
        }
    }
}
