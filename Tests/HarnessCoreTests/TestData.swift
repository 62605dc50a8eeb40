// Small data the tests make themselves, and the Fashion-MNIST files the Debian package installs.
import Foundation
import XCTest
@testable import HarnessCore
@testable import HarnessData
@testable import HarnessEngine

/// IDX bytes for `dims` with the given payload (or a generated one).
func idxBytes(_ dims: [Int], payload: [UInt8]? = nil) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(dims.count)]
    for d in dims { bytes += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return bytes + (payload ?? (0..<dims.reduce(1, *)).map { UInt8($0 % 251) })
}

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = NSTemporaryDirectory() + "harness-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Gzips a file with the system's gzip (what users' .gz files come from).
func gzip(_ path: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/gzip")
    p.arguments = ["-f", path]
    try p.run()
    p.waitUntilExit()
    XCTAssertEqual(p.terminationStatus, 0)
}

/// Fashion-MNIST, which scripts/bootstrap.sh installs; the tests fail (not skip) without it.
enum FashionFixture {
    nonisolated(unsafe) static var cached: Dataset?
    static func load() throws -> Dataset {
        if let cached { return cached }
        do {
            let d = try FashionMNIST.load()
            cached = d
            return d
        } catch {
            XCTFail("\(error)")
            throw error
        }
    }
}

extension Hyperparameters {
    /// The defaults with a test's epochs, batch size and rate.
    static func testing(epochs: Int, batch: Int, lr: Double = 0.05) -> Hyperparameters {
        defaults.with(.epochs, .int(epochs)).with(.batchSize, .int(batch)).with(.lr, .double(lr))
    }
}
