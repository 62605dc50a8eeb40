// Images held as bytes read exactly as the floats they stand for: normalised values, statistics,
// subsets, fingerprints and resizing agree bit for bit with the same images held as floats.
import XCTest
import HarnessSupport
@testable import HarnessData

final class EightBitImageTests: XCTestCase {
    private func pair(count: Int = 6, channels: Int = 3, side: Int = 5) -> (bytes: ImageSet, floats: ImageSet) {
        var g = SeededGenerator(seed: 4, stream: "eight-bit")
        let raw = (0..<(count * channels * side * side)).map { _ in UInt8.random(in: 0...255, using: &g) }
        let labels = (0..<count).map { $0 % 3 }
        return (ImageSet(channels: channels, height: side, width: side, bytes: raw, labels: labels),
                ImageSet(channels: channels, height: side, width: side, pixels: raw.map { Float($0) / 255 }, labels: labels))
    }

    func testNormalisedBytesReadAsTheNormalisedFloats() {
        var (bytes, floats) = pair()
        XCTAssertEqual(bytes.pixels, floats.pixels)
        let stats = bytes.channelStatistics()
        XCTAssertEqual(stats, floats.channelStatistics(), "the same statistics, summed in the same order")
        bytes.normalize(stats)
        floats.normalize(stats)
        XCTAssertTrue(bytes.isEightBit, "normalising bytes keeps them bytes")
        XCTAssertEqual(bytes.pixels, floats.pixels, "bit-identical normalised values")
        XCTAssertEqual(bytes.pixelMemory * 4, floats.pixelMemory, "a quarter of the memory")
        // A batch copy of a range reads the same values.
        var out = [Float](repeating: .nan, count: 2 * bytes.imageSize)
        out.withUnsafeMutableBufferPointer { bytes.copyImages(2..<4, into: $0.baseAddress!) }
        XCTAssertEqual(out, Array(floats.pixels[(2 * floats.imageSize)..<(4 * floats.imageSize)]))
        // Subsets and joins stay 8-bit and keep the normalisation.
        let picked = bytes.subset([5, 0, 3])
        XCTAssertTrue(picked.isEightBit)
        XCTAssertEqual(picked.pixels, floats.subset([5, 0, 3]).pixels)
        XCTAssertEqual(picked.labels, [2, 0, 0])
        let joined = picked.appending(bytes.subset([1]))
        XCTAssertTrue(joined.isEightBit)
        XCTAssertEqual(joined.pixels, floats.subset([5, 0, 3, 1]).pixels)
        // Normalising twice composes, as it did on floats.
        bytes.normalize(stats)
        floats.normalize(stats)
        XCTAssertEqual(bytes.pixels, floats.pixels)
    }

    func testFingerprintIsTheSameWhateverTheStorage() {
        // 300 images: more than one 256-image hashing block, with an odd image size (3 x 5 x 5).
        let (bytes, floats) = pair(count: 300)
        var a = StableHash(), b = StableHash()
        bytes.addPixels(to: &a)
        floats.addPixels(to: &b)
        XCTAssertEqual(a.value, b.value)
        let other = ImageSet(channels: 3, height: 5, width: 5, bytes: bytes.subset(Array((1..<300)) + [0]).pixels.map { UInt8(($0 * 255).rounded()) },
                             labels: bytes.labels)
        var c = StableHash()
        other.addPixels(to: &c)
        XCTAssertNotEqual(a.value, c.value, "the hash reads the pixels")
    }

    func testResizingBytesStaysEightBitAndFollowsTheFloats() throws {
        let (bytes, floats) = pair(count: 2, channels: 1, side: 8)
        let shape = InputShape(channels: 3, height: 12, width: 12)
        let a = try bytes.brought(to: shape, name: "bytes"), b = try floats.brought(to: shape, name: "floats")
        XCTAssertTrue(a.isEightBit)
        XCTAssertEqual(InputShape(a), shape)
        // libvips resizes 8-bit images in 8 bits (as it does an image folder's files): within
        // half a level of the float resize, plus its own fixed-point rounding.
        let worst = zip(a.pixels, b.pixels).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1.5 / 255)
    }
}
