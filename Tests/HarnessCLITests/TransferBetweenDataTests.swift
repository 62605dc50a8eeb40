// Transfer between data sets end to end: a network trained in PyTorch, imported, and transferred
// to a folder of JPEG, PNG and WebP files of mixed sizes and colour; and every way the inputs can
// be wrong, each a clear error naming the file or the character.
import Foundation
import XCTest

final class TransferBetweenDataTests: XCTestCase {
    func environment(_ dir: String) -> [String: String] { ["HARNESS_CACHE_DIR": dir + "/cache"] }

    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Predictions of `harness eval` on the test images of classes 0-4, in file order.
    func harnessPredictions(_ model: String, _ dir: String) throws -> [Int] {
        let out = dir + "/eval-\(UUID().uuidString).json"
        let evaluated = try harness(["eval", "--model", model, "--target", "fashion-mnist:0-4", "--predictions", out])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        return try JSONDecoder().decode([Int].self, from: Data(contentsOf: URL(fileURLWithPath: out)))
    }

    func torchPredictions(_ path: String) throws -> (accuracy: Double, predictions: [Int]) {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        return (json["accuracy"] as! Double, json["predictions"] as! [Int])
    }

    func testAPyTorchResNetImportsAndAHarnessResNetLoadsIntoPyTorch() throws {
        let dir = try temporaryDirectory()
        let script = Self.repository + "/examples/torch_export.py"
        // PyTorch -> harness: torchvision's BasicBlocks, batch normalisation's running statistics included.
        let torch = try python([script, "--network", "resnet20", "--classes", "0-4", "--train-per-class", "200", "--epochs", "2",
                                "--out", dir + "/res.safetensors", "--predictions", dir + "/torch.json"])
        XCTAssertEqual(torch.status, 0, torch.output)
        let reference = try torchPredictions(dir + "/torch.json")
        XCTAssertGreaterThan(reference.accuracy, 0.3, "PyTorch's ResNet learnt something, so agreeing with it means something")
        XCTAssertGreaterThanOrEqual(Set(reference.predictions).count, 3)
        let stats = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/torch.json"))) as! [String: Any]
        let imported = try harness(["import", dir + "/res.safetensors", "--network", "resnet20", "--input", "1x28x28",
                                    "--mean", "\(stats["mean"]!)", "--std", "\(stats["std"]!)", "--out", dir + "/res.harness.safetensors"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("11 transfer units"), imported.stdout)
        let ours = try harnessPredictions(dir + "/res.harness.safetensors", dir)
        XCTAssertEqual(ours.count, reference.predictions.count)
        XCTAssertGreaterThanOrEqual(zip(ours, reference.predictions).filter { $0 == $1 }.count, ours.count - 5,
                                    "harness predicts what PyTorch predicts (up to near-ties in float arithmetic)")

        // harness -> PyTorch: a ResNet trained here loads with load_state_dict(strict=True).
        let trained = try harness(["train", "--network", "resnet20", "--classes", "0,1,2,3,4", "--train-per-class", "60", "--epochs", "2",
                                   "--batch", "32", "--out", dir + "/trained.safetensors"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let back = try python([script, "--network", "resnet20", "--classes", "0-4", "--load", dir + "/trained.safetensors",
                               "--predictions", dir + "/back.json"])
        XCTAssertEqual(back.status, 0, back.output)
        let inTorch = try torchPredictions(dir + "/back.json").predictions
        let inHarness = try harnessPredictions(dir + "/trained.safetensors", dir)
        XCTAssertGreaterThanOrEqual(Set(inHarness).count, 2)
        XCTAssertGreaterThanOrEqual(zip(inHarness, inTorch).filter { $0 == $1 }.count, inHarness.count - 5)

        // A state dict with tensors missing and tensors extra names every one of them.
        let edit = try python(["-c", """
            import sys; sys.path.insert(0, '\(Self.repository)/examples'); import torch_export as t
            d, _ = t.read_safetensors('\(dir)/res.safetensors')
            del d['layer1.0.bn1.running_mean'], d['fc.bias']
            d['layer4.0.conv1.weight'] = d['layer3.0.conv1.weight']
            t.save_safetensors(d, '\(dir)/edited.safetensors')
            """])
        XCTAssertEqual(edit.status, 0, edit.output)
        let edited = try harness(["import", dir + "/edited.safetensors", "--network", "resnet20", "--out", dir + "/x.safetensors"])
        for fragment in ["fc.bias is missing (needed for fc.bias, shape [5])", "layer1.0.bn1.running_mean is missing",
                         "and it holds 1 tensor the network spec has no place for: layer4.0.conv1.weight."] {
            assertOneLineError(edited, mentions: fragment)
        }
    }

    func testAPyTorchNetworkRoundTripsAndTransfersToAFolderOfPhotos() throws {
        let dir = try temporaryDirectory()
        let env = environment(dir)
        // The README's PyTorch example: train harness's network in PyTorch, export the state dict.
        let torch = try python([Self.repository + "/examples/torch_export.py", "--classes", "0-4", "--train-per-class", "200", "--epochs", "2",
                                "--out", dir + "/net.safetensors", "--predictions", dir + "/torch.json"])
        XCTAssertEqual(torch.status, 0, torch.output)
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/torch.json"))) as! [String: Any]
        let torchPredictions = reference["predictions"] as! [Int]
        XCTAssertGreaterThan(reference["accuracy"] as! Double, 0.4, "PyTorch's network learnt something, so agreeing with it means something")
        XCTAssertGreaterThanOrEqual(Set(torchPredictions).count, 4)

        let imported = try harness(["import", dir + "/net.safetensors", "--input", "1x28x28", "--mean", "\(reference["mean"]!)",
                                    "--std", "\(reference["std"]!)", "--class-names", "top,trouser,pullover,dress,coat", "--out", dir + "/net.harness.safetensors"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("8 transfer units, 460677 parameters, input 1x28x28, 5 classes"), imported.stdout)
        let evaluated = try harness(["eval", "--model", dir + "/net.harness.safetensors", "--target", "fashion-mnist:0-4", "--predictions", dir + "/harness.json"])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        let ours = try JSONDecoder().decode([Int].self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/harness.json")))
        XCTAssertEqual(ours.count, torchPredictions.count)
        let agreeing = zip(ours, torchPredictions).filter { $0 == $1 }.count
        XCTAssertGreaterThanOrEqual(agreeing, ours.count - 5, "harness predicts what PyTorch predicts (up to near-ties in float arithmetic)")

        // A folder as users have them: JPEG, PNG and WebP, four sizes, every third image in colour.
        let photos = dir + "/photos"
        let exported = try harness(["export-images", "fashion-mnist:5-9", "--per-class", "30", "--formats", "jpg,png,webp",
                                    "--sizes", "28,45,100,19", "--colour-every", "3", "--out", photos])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        let args = ["compare", "--source-model", dir + "/net.harness.safetensors", "--strategies", "svm-codes,freeze3", "--seeds", "1",
                    "--epochs", "2", "--target-per-class", "20", "--batch", "16", "--db", dir + "/r.sqlite"]
        assertOneLineError(try harness(args + ["--target", photos], environment: env), mentions: "3-channel (colour) images, but the source network takes 1-channel images. help: add @gray")
        let run = try harness(args + ["--target", photos + "@gray"], environment: env)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("target \(photos)@gray: 300 images decoded"), run.stderr)
        XCTAssertTrue(run.stdout.contains("source network net.harness.safetensors ("), run.stdout)
        XCTAssertTrue(run.stdout.contains("-> target \(photos)@gray, images at 1x28x28, normalised with mean 0.3"), run.stdout)
        let svm = run.stdout.split(separator: "\n").first { $0.contains("svm-codes") }.map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        let accuracy = svm.flatMap { Double($0[2]) } ?? 0
        XCTAssertGreaterThan(accuracy, 50, "a linear classifier on the imported network's codes of the photos beats chance (20%) by far: \(run.stdout)")

        // Again: nothing decoded, nothing run.
        let again = try harness(args + ["--target", photos + "@gray"], environment: env)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("from the decoded-image cache"), again.stderr)
        XCTAssertTrue(again.stderr.contains("0 of 3 cells to run"), again.stderr)

        // A truncated state dict, and one that does not fit the spec, say so.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/net.safetensors"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir + "/half.safetensors"))
        assertOneLineError(try harness(["import", dir + "/half.safetensors", "--out", dir + "/x.safetensors"]),
                           mentions: "half.safetensors: truncated: tensor")
        let wrong = try harness(["import", dir + "/net.safetensors", "--input", "1x32x32", "--out", dir + "/x.safetensors"])
        assertOneLineError(wrong, mentions: "fc6.weight has shape [256, 576], the spec needs [256, 1024]")
        assertOneLineError(try harness(["import", dir + "/net.safetensors", "--layer-names", "features.0,features.3", "--out", dir + "/x.safetensors"]),
                           mentions: "--layer-names lists 2 modules but the network has 8 layers with parameters")
        assertOneLineError(try harness(args + ["--target", photos + "@gray", "--source-model", dir + "/half.safetensors"], environment: env),
                           mentions: "half.safetensors: truncated")
    }

    func testTheTransferCurveRunsBetweenDataSetsAndTheReportSaysWhat() throws {
        let dir = try temporaryDirectory()
        let args = ["transfer-curve", "--source", "fashion-mnist:0-4", "--target", "fashion-mnist:5-9@rotate:90@noise:0.1", "--layers", "2",
                    "--db", dir + "/r.sqlite", "--out", dir + "/curve"] + CompareTests.small(seeds: 1)
        let r = try harness(args, environment: environment(dir))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("6 of 6 cells to run"), r.stderr)  // baseB + 5 treatments at n = 2
        XCTAssertTrue(r.stderr.contains("training the self-transfer network on fashion-mnist:5-9@rotate:90@noise:0.1"), r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/curve/transfer-curve.md"))
        let report = try harness(["report", "--db", dir + "/r.sqlite", "--out", dir + "/report"])
        XCTAssertEqual(report.status, 0, report.stderr)
        let html = try String(contentsOfFile: dir + "/report/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("source fashion-mnist:0-4 -&gt; target fashion-mnist:5-9@rotate:90@noise:0.1, images at 1x28x28"), "the report says what was compared")
    }

    func testBadSpecsAndFoldersGiveOneClearError() throws {
        let dir = try temporaryDirectory()
        let env = environment(dir)
        let base = ["compare", "--source", "fashion-mnist:0-4", "--strategies", "svm-codes", "--db", dir + "/r.sqlite"] + CompareTests.small(seeds: 1)
        let malformed = try harness(base + ["--target", "fashion-mnist:5-9@rotat:90"], environment: env)
        XCTAssertNotEqual(malformed.status, 0)
        XCTAssertTrue(malformed.stderr.contains("unknown transform 'rotat'"), malformed.stderr)
        XCTAssertTrue(malformed.stderr.contains("fashion-mnist:5-9@rotat:90\n                      ^^^^^"), malformed.stderr)
        assertOneLineError(try harness(base + ["--target", "mnist:0-4"], environment: env), mentions: "'mnist' is neither a known data set nor a folder")
        let unknownClass = try harness(base + ["--target", "fashion-mnist:sandal,boot"], environment: env)
        assertOneLineError(unknownClass, mentions: "'boot' is not a class of fashion-mnist")
        XCTAssertTrue(unknownClass.stderr.contains("9 Ankle boot"), unknownClass.stderr)
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        assertOneLineError(try harness(base + ["--target", dir + "/empty"], environment: env), mentions: "empty does not hold a data set: expected four IDX files")
        assertOneLineError(try harness(["compare", "--target", "fashion-mnist:5-9", "--db", dir + "/r.sqlite"], environment: env),
                           mentions: "--target needs a source")

        // An undecodable file is named; with --skip-undecodable it is left out and counted.
        let photos = dir + "/photos"
        XCTAssertEqual(try harness(["export-images", "fashion-mnist:5-7", "--per-class", "12", "--formats", "jpg", "--out", photos]).status, 0)
        try Data("not a jpeg".utf8).write(to: URL(fileURLWithPath: photos + "/train/Sandal/broken.jpg"))
        assertOneLineError(try harness(base + ["--target", photos], environment: env), mentions: "broken.jpg cannot be decoded as an image")
        let skipped = try harness(base + ["--target", photos, "--skip-undecodable"], environment: env)
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("1 undecodable file skipped (first: \(photos)/train/Sandal/broken.jpg"), skipped.stderr)
        XCTAssertTrue(skipped.stdout.contains("undecodable images skipped"), skipped.stdout)
    }
}
