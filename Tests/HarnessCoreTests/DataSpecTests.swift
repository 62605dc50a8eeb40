import XCTest
@testable import HarnessCore
@testable import HarnessData

final class DataSpecTests: XCTestCase {
    func testTheGrammarParsesDataClassesAndTransformsInOrder() throws {
        let s = try DataSpec("fashion-mnist:sandal,sneaker,0-2@rotate:90@noise:0.2")
        XCTAssertEqual(s.data, "fashion-mnist")
        XCTAssertEqual(s.classItems?.map(\.text), ["sandal", "sneaker", "0-2"])
        XCTAssertEqual(s.transforms, [.rotate(degrees: 90), .noise(sigma: 0.2)])
        XCTAssertEqual(try s.classes(in: FashionMNIST.classNames), [5, 7, 0, 1, 2])
        XCTAssertEqual(s.description, "fashion-mnist:sandal,sneaker,0-2@rotate:90@noise:0.2")
        XCTAssertNil(try DataSpec("fashion-mnist@invert@blur:1.5@downscale:4@gray").classItems)
        XCTAssertEqual(try DataSpec("fashion-mnist@invert@blur:1.5@downscale:4@gray").transforms.count, 4)
        let roundTrip = try JSONDecoder().decode(DataSpec.self, from: JSONEncoder().encode(s))
        XCTAssertEqual(roundTrip, s)
    }

    func testAMalformedSpecPointsAtTheOffendingCharacter() {
        func message(_ text: String) -> String {
            do { _ = try DataSpec(text); return "" } catch { return "\(error)" }
        }
        let unknown = message("fashion-mnist@rotat:90")
        XCTAssertTrue(unknown.contains("unknown transform 'rotat'"), unknown)
        XCTAssertTrue(unknown.contains("\n    fashion-mnist@rotat:90\n                  ^^^^^\n"), unknown)
        XCTAssertTrue(unknown.contains("allowed here: transforms: rotate:DEGREES, invert, noise:SIGMA, blur:SIGMA, downscale:FACTOR, gray"), unknown)
        let value = message("fashion-mnist@noise:lots")
        XCTAssertTrue(value.contains("noise takes a standard deviation (a positive number; pixels are in [0, 1]), not 'lots'"), value)
        XCTAssertTrue(value.contains("\n    fashion-mnist@noise:lots\n                        ^^^^\n"), value)
        XCTAssertTrue(message("fashion-mnist@rotate").contains("rotate needs an angle in degrees, e.g. rotate:90"))
        XCTAssertTrue(message("fashion-mnist:0,,3").contains("an empty class in the list"))
        XCTAssertTrue(message(":0-4").contains("the data set is missing"))
        XCTAssertTrue(message("fashion-mnist@downscale:1.5").contains("a whole number from 2"))
    }

    func testUnknownDataAndClassesListWhatExists() throws {
        XCTAssertThrowsError(try DataSpec("imagenet:0-4").source) {
            XCTAssertTrue("\($0)".contains("'imagenet' is neither a known data set nor a folder"), "\($0)")
            XCTAssertTrue("\($0)".contains("known data sets: fashion-mnist"), "\($0)")
        }
        XCTAssertThrowsError(try DataSpec("fashion-mnist:sandal,sandle").classes(in: FashionMNIST.classNames)) {
            XCTAssertTrue("\($0)".contains("'sandle' is not a class of fashion-mnist"), "\($0)")
            XCTAssertTrue("\($0)".contains("\n                         ^^^^^^\n"), "\($0)")
            XCTAssertTrue("\($0)".contains("5 Sandal, 6 Shirt"), "\($0)")
        }
        XCTAssertThrowsError(try DataSpec("fashion-mnist:3-12").classes(in: FashionMNIST.classNames)) { XCTAssertTrue("\($0)".contains("classes 0-9"), "\($0)") }
        XCTAssertThrowsError(try DataSpec("fashion-mnist:2,0-3").classes(in: FashionMNIST.classNames)) { XCTAssertTrue("\($0)".contains("listed twice"), "\($0)") }
    }

    func testTransformsChangeImagesDeterministically() throws {
        // A 6x6 image with one bright pixel top-left of centre.
        var planes = [Float](repeating: 0, count: 36)
        planes[1 * 6 + 1] = 1
        let set = ImageSet(channels: 1, height: 6, width: 6, pixels: planes + planes, labels: [0, 1])
        func applied(_ t: DomainTransform) throws -> ImageSet { var s = set; try t.apply(to: &s, seed: 0, stream: "train"); return s }
        // Rotating by 180 degrees moves the pixel to the mirrored position.
        let rotated = try applied(.rotate(degrees: 180))
        XCTAssertEqual(rotated.pixels.count, 72)
        XCTAssertEqual(rotated.pixels[4 * 6 + 4], 1, accuracy: 0.01)
        XCTAssertEqual(rotated.pixels[1 * 6 + 1], 0, accuracy: 0.01)
        XCTAssertEqual(try applied(.invert).pixels[0], 1)
        let blurred = try applied(.blur(sigma: 1))
        XCTAssertLessThan(blurred.pixels[7], 0.5)
        XCTAssertGreaterThan(blurred.pixels[8], 0.01)
        XCTAssertEqual(blurred.pixels.reduce(0, +) / 2, 1, accuracy: 0.15, "blurring keeps the mass")
        let noisy = try applied(.noise(sigma: 0.2))
        XCTAssertEqual(noisy.pixels, try applied(.noise(sigma: 0.2)).pixels, "seeded")
        XCTAssertNotEqual(Array(noisy.pixels[0..<36]), Array(noisy.pixels[36..<72]), "each image its own noise")
        let sd = (noisy.pixels.enumerated().map { Double($1 - set.pixels[$0]) }.map { $0 * $0 }.reduce(0, +) / 72).squareRoot()
        XCTAssertEqual(sd, 0.2, accuracy: 0.06)
        let coarse = try applied(.downscale(factor: 3))
        XCTAssertEqual(InputShape(coarse), InputShape(set))
        XCTAssertNotEqual(Array(coarse.pixels[0..<36]), planes)
        let colour = ImageSet(channels: 3, height: 1, width: 1, pixels: [1, 0, 0], labels: [0])
        var g = colour
        try DomainTransform.gray.apply(to: &g, seed: 0, stream: "train")
        XCTAssertEqual(g.channels, 1)
        XCTAssertEqual(g.pixels[0], 0.299, accuracy: 1e-6)
    }

    func testArraysAreBroughtToTheNetworksShapeAndColourNeedsGray() throws {
        let set = ImageSet(channels: 1, height: 4, width: 4, pixels: [Float](repeating: 0.5, count: 16), labels: [0])
        let up = try set.brought(to: InputShape(channels: 3, height: 8, width: 6), name: "x")
        XCTAssertEqual(InputShape(up), InputShape(channels: 3, height: 8, width: 6))
        XCTAssertTrue(up.pixels.allSatisfy { abs($0 - 0.5) < 1e-4 })
        let colour = ImageSet(channels: 3, height: 2, width: 2, pixels: [Float](repeating: 0.1, count: 12), labels: [0])
        XCTAssertThrowsError(try colour.brought(to: InputShape(channels: 1, height: 2, width: 2), name: "cifar")) {
            XCTAssertTrue("\($0)".hasPrefix("cifar: 3-channel (colour) images, but the source network takes 1-channel images. help: add @gray"), "\($0)")
        }
    }
}
