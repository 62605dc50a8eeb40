// Taking the chosen model away (issue 28, item 4): `compare --save-models` keeps the network
// behind each cell's predictions; `harness eval` scores it exactly as its cell was scored, and
// it loads into PyTorch with load_state_dict(strict=True) and predicts the same classes, for the
// default network and for torchvision's ResNet-18.
import Foundation
import XCTest

final class ModelExportTests: XCTestCase {
    let script = TransferBetweenDataTests.repository + "/examples/torch_export.py"

    /// The cells of a comparison in the long export, by strategy.
    func trialCells(_ db: String) throws -> [String: [String: String]] {
        let trials = try harness(["leaderboard", "--db", db, "--format", "trials"])
        XCTAssertEqual(trials.status, 0, trials.stderr)
        return Dictionary(csvRecords(trials.stdout).map { ($0["strategy"]!, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// PyTorch's and harness's predictions for a model on every test image of classes 5-9.
    func bothPredictions(_ model: String, network: String, _ dir: String) throws -> (torch: [Int], harness: [Int]) {
        let loaded = try python([script, "--network", network, "--classes", "5-9", "--load", model, "--predictions", dir + "/torch.json"])
        XCTAssertEqual(loaded.status, 0, loaded.output)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/torch.json"))) as! [String: Any]
        let evaluated = try harness(["eval", "--model", model, "--target", "fashion-mnist:5-9", "--predictions", dir + "/harness.json"])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        return (json["predictions"] as! [Int], try JSONDecoder().decode([Int].self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/harness.json"))))
    }

    func testSavedModelsScoreAsTheirCellsAndLoadIntoPyTorch() throws {
        let dir = try temporaryDirectory()
        let env = ["HARNESS_CACHE_DIR": dir + "/cache"]
        let db = dir + "/r.sqlite"
        let run = try harness(["compare", "--source", "fashion-mnist:0-4", "--target", "fashion-mnist:5-9", "--strategies", "finetune,svm-codes",
                               "--seeds", "1", "--epochs", "2", "--base-epochs", "2", "--source-per-class", "100", "--target-per-class", "20",
                               "--eval-per-class", "40", "--db", db, "--save-models", dir + "/models"], environment: env)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("--save-models: 2 of 3 finished cells have a model in"), run.stderr)
        XCTAssertTrue(run.stderr.contains("svm-codes: no model saved: the predictions of svm-codes are not those of one network's predict call"), run.stderr)

        let cells = try trialCells(db)
        for strategy in ["finetune", "scratch"] {
            let cell = try XCTUnwrap(cells[strategy])
            let file = try XCTUnwrap(cell["model_file"], strategy)
            XCTAssertTrue(file.hasSuffix("/\(strategy)-seed1.harness.safetensors"), file)
            // The cell's own evaluation images (40 per class, drawn as the comparison draws them):
            // the saved network scores exactly what its cell scored.
            let eval = try harness(["eval", "--model", file, "--target", "fashion-mnist:5-9", "--test-per-class", "40", "--seed", "0", "--json"])
            XCTAssertEqual(eval.status, 0, eval.stderr)
            let scored = try JSONSerialization.jsonObject(with: Data(eval.stdout.split(separator: "\n").last!.utf8)) as! [String: Any]
            XCTAssertEqual(scored["test_accuracy"] as! Double, Double(cell["test_accuracy"]!)!, accuracy: 1e-9, strategy)
        }
        XCTAssertEqual(cells["svm-codes"]?["model_file"], "")
        XCTAssertTrue(cells["svm-codes"]?["model_note"]?.contains("classifies in its own way") == true)

        // Into PyTorch: every tensor named and shaped as PyTorch's own, the same class for every
        // one of the 5,000 test images.
        let (torch, ours) = try bothPredictions(try XCTUnwrap(cells["finetune"]?["model_file"]), network: "standard", dir)
        XCTAssertEqual(ours.count, 5000)
        XCTAssertGreaterThanOrEqual(Set(ours).count, 3, "a network that learnt something, so agreeing means something")
        XCTAssertEqual(zip(ours, torch).filter { $0 != $1 }.count, 0)

        // Run again with --save-models: finished cells are not rerun, and it says so.
        let again = try harness(["compare", "--source", "fashion-mnist:0-4", "--target", "fashion-mnist:5-9", "--strategies", "finetune,svm-codes",
                                 "--seeds", "1", "--epochs", "2", "--base-epochs", "2", "--source-per-class", "100", "--target-per-class", "20",
                                 "--eval-per-class", "40", "--db", db, "--save-models", dir + "/other"], environment: env)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("--save-models: 3 cells finished before are not rerun, so \(dir)/other has no model of theirs"), again.stderr)
    }

    func testAModelTransferredFromTorchvisionsResNet18LoadsBackIntoTorchvision() throws {
        let dir = try temporaryDirectory()
        let env = ["HARNESS_CACHE_DIR": dir + "/cache"]
        // torchvision's ResNet-18 with drawn weights (batch-norm statistics too), imported at 3x28x28:
        // Fashion-MNIST's grayscale images are repeated into its three channels.
        let made = try python([TransferBetweenDataTests.repository + "/Tests/Fixtures/torchvision_reference.py", "--network", "resnet18",
                               "--classes", "10", "--size", "28", "--out", dir])
        XCTAssertEqual(made.status, 0, made.output)
        let imported = try harness(["import", dir + "/resnet18.safetensors", "--network", "resnet18", "--input", "3x28x28", "--framing", "stretch",
                                    "--mean", "0.3,0.3,0.3", "--std", "0.35,0.35,0.35", "--out", dir + "/r18.harness.safetensors"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let run = try harness(["compare", "--source-model", dir + "/r18.harness.safetensors", "--target", "fashion-mnist:5-9", "--strategies", "finetune",
                               "--no-baseline", "--seeds", "1", "--epochs", "3", "--batch", "16", "--target-per-class", "20", "--eval-per-class", "10",
                               "--db", dir + "/r.sqlite", "--save-models", dir + "/models"], environment: env)
        XCTAssertEqual(run.status, 0, run.stderr)
        let file = try XCTUnwrap(try trialCells(dir + "/r.sqlite")["finetune"]?["model_file"])
        let (torch, ours) = try bothPredictions(file, network: "resnet18", dir)
        XCTAssertEqual(ours.count, 5000)
        XCTAssertGreaterThanOrEqual(Set(ours).count, 2)
        XCTAssertEqual(zip(ours, torch).filter { $0 != $1 }.count, 0, "torchvision's ResNet-18 predicts what harness predicts")
    }
}
