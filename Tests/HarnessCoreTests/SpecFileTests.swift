// Spec files are read strictly: nothing in them is ignored, and every error says the file's
// line:column, the layer and what is allowed.
import XCTest
@testable import HarnessCore
@testable import HarnessEngine

final class SpecFileTests: XCTestCase {
    func firstLine(_ text: String, _ path: String = "net.json") -> String {
        do { _ = try NetworkSpec.parse(Data(text.utf8), path: path); return "" } catch {
            return "\(error)".split(separator: "\n").first.map(String.init) ?? ""
        }
    }

    let header = "{ \"channels\": 1, \"height\": 28, \"width\": 28, \"layers\": [\n"

    func testAMisspeltKeyIsRefusedWithItsPlaceTheLayerAndTheKeysAllowed() {
        let text = header + """
              { "name": "conv1", "kind": "convolution", "outputs": 8, "kernel": 3 },
              { "name": "pool1", "kind": "max_pool", "kernel": 2, "strides": 2 },
              { "name": "fc", "kind": "fully_connected", "outputs": 10 } ] }
            """
        XCTAssertEqual(firstLine(text),
                       "invalid network spec: net.json:3:55: layer 2 (pool1): a max_pool layer takes no 'strides' (it takes name, kind, kernel, stride, padding, input, block)")
    }

    func testUnknownKindsMissingKeysWrongTypesAndStrayTopLevelKeysAreNamed() {
        XCTAssertEqual(firstLine(header + #"  { "name": "p", "kind": "maxpool", "kernel": 2 } ] }"#),
                       "invalid network spec: net.json:2:18: layer 1 (p): unknown kind 'maxpool' (kinds: convolution, fully_connected, batch_norm, relu, relu6, sigmoid, silu, hardswish, max_pool, avg_pool, global_avg_pool, dropout, add, multiply)")
        XCTAssertEqual(firstLine(header + #"  { "name": "c", "kind": "convolution", "outputs": 4 } ] }"#),
                       "invalid network spec: net.json:2:3: layer 1 (c): a convolution layer needs 'kernel' (it takes name, kind, outputs, kernel, stride, padding, tf_same, groups, bias, input, block)")
        XCTAssertEqual(firstLine(header + #"  { "name": "c", "kind": "convolution", "outputs": 4, "kernel": "3" } ] }"#),
                       "invalid network spec: net.json:2:55: 'kernel' must be a whole number")
        XCTAssertEqual(firstLine(#"{ "channels": 1, "height": 28, "width": 28, "colour": true, "layers": [] }"#),
                       "invalid network spec: net.json:1:45: unknown key 'colour' (a spec has channels, height, width, layers)")
        XCTAssertEqual(firstLine(header + #"  { "kind": "relu" } ] }"#), "invalid network spec: net.json:2:3: layer 1 needs a \"name\" (a non-empty string)")
    }

    func testEveryNamedNetworkPrintsASpecTheStrictParserReadsBack() throws {
        for a in Architecture.allCases {
            let spec = a.spec(classes: 7, shape: InputShape(channels: 3, height: 32, width: 32))
            let back = try NetworkSpec.parse(try JSONEncoder().encode(spec), path: a.rawValue)
            XCTAssertEqual(back, spec, a.rawValue)
        }
    }

    func testASpecFilesOwnInputShapeIsHonouredUnlessAShapeIsGiven() throws {
        let path = try temporaryDirectory(self) + "/net.json"
        try JSONEncoder().encode(NetworkSpec.standard(classes: 4, channels: 3, height: 32, width: 32)).write(to: URL(fileURLWithPath: path))
        let own = try NetworkChoice(path).spec(classes: 5, shape: nil)
        XCTAssertEqual([own.channels, own.height, own.width, own.classes], [3, 32, 32, 5])
        let given = try NetworkChoice(path).spec(classes: 5, shape: InputShape(channels: 1, height: 28, width: 28))
        XCTAssertEqual([given.channels, given.height, given.width], [1, 28, 28])
    }
}
