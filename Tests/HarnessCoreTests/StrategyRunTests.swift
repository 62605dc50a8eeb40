// The bundled strategies, loaded from the .so files the package builds, on a small Fashion-MNIST
// transfer task: source network on classes A, target classes B (5 each, chance 20%).
import XCTest
@testable import HarnessCore
@testable import HarnessSupport
@testable import HarnessMetrics
@testable import HarnessData
@testable import HarnessEngine
@testable import StrategyHost

final class StrategyRunTests: XCTestCase {
    struct Setup {
        var base: Network
        var selfNetwork: Network
        var target: Dataset
        var file: StrategiesFile
        var registry: PluginRegistry
    }

    nonisolated(unsafe) static var cached: Setup?

    /// Trains the source network (on A) and the self-transfer network (on B) once for all tests.
    func setup() throws -> Setup {
        if let s = Self.cached { return s }
        let all = try FashionFixture.load()
        let split = ClassSplit.random(classCount: 10, seed: 1)
        func task(_ classes: [Int], train: Int, test: Int) -> Dataset {
            var d = all.restricted(to: classes)
            d.train = d.train.stratified(perClass: train, seed: 2)
            d.test = d.test.stratified(perClass: test, seed: 2)
            d.normalizeWithTrainingStatistics()
            return d
        }
        let source = task(split.a, train: 100, test: 10), target = task(split.b, train: 40, test: 40)
        let settings = Hyperparameters.testing(epochs: 4, batch: 32, lr: 0.02)
        let base = try Network(spec: .standard(classes: 5), seed: 3)
        _ = try Trainer.train(base, on: source.train, hyperparameters: settings, seed: 3)
        let selfNet = try Network(spec: .standard(classes: 5), seed: 4)
        _ = try Trainer.train(selfNet, on: target.train, hyperparameters: settings, seed: 3)
        let s = Setup(base: base, selfNetwork: selfNet, target: target,
                      file: try StrategiesFile(path: Repository.root + "/strategies.json"),
                      registry: scannedRegistry())
        Self.cached = s
        return s
    }

    func run(_ name: String, trained: ((Network, TrainingReport) -> Void)? = nil) throws -> Double {
        let s = try setup()
        let config = try s.file.configuration(named: name)
        return try run(try ConfiguredStrategy(config, plugin: try s.registry.loaded(config.strategy)), trained: trained)
    }

    func run(_ strategy: ConfiguredStrategy, trained: ((Network, TrainingReport) -> Void)? = nil) throws -> Double {
        let s = try setup()
        let task = TransferTask(source: strategy.configuration.source == .self ? s.selfNetwork : s.base, train: s.target.train,
                                eval: s.target.test, classes: 5,
                                seed: 7, training: .testing(epochs: 6, batch: 16, lr: 0.02))
        let predictions = try strategy.run(task, trained: trained)
        return ClassificationMetrics(predictions: predictions, labels: s.target.test.labels, classCount: 5).accuracy
    }

    /// The domain-adaptation plugins: they need a domain-shift task (testAdaptationStrategies...).
    static let adaptation: Set = ["source-only", "mmd", "coral", "dann"]

    func testEveryConfigurationLearnsWellAboveChance() throws {
        for c in try setup().file.configurations where !Self.adaptation.contains(c.strategy) {
            let accuracy = try run(c.name)
            print(String(format: "strategy %@: %.3f", c.name, accuracy))
            XCTAssertGreaterThan(accuracy, 0.45, "\(c.name): \(accuracy) on 5 classes (chance 0.2)")
        }
    }

    func testFreezeNKeepsCopiedLayersBitIdentical() throws {
        let base = try setup().base
        var seen: Network?
        _ = try run("freeze3") { net, _ in seen = net }
        let net = try XCTUnwrap(seen)
        for layer in ["conv1", "conv2", "conv3"] {
            XCTAssertEqual(try net.parameters(of: layer).map(\.values), try base.parameters(of: layer).map(\.values), layer)
        }
        XCTAssertNotEqual(try net.parameters(of: "conv4")[0].values, try base.parameters(of: "conv4")[0].values)
    }

    func testFinetuneChangesTheCopiedLayers() throws {
        let base = try setup().base
        var seen: Network?
        _ = try run("finetune") { net, _ in seen = net }
        let net = try XCTUnwrap(seen)
        for layer in ["conv1", "fc7"] {
            let after = try net.parameters(of: layer)[0].values, before = try base.parameters(of: layer)[0].values
            XCTAssertNotEqual(after, before, layer)
            // Copied, then moved a little at lr x0.1: still much closer to the source than a fresh layer.
            let moved = zip(after, before).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(moved, 0.05, layer)
        }
    }

    func testSVMCodesNeverTrainsTheNetworkAndItsSoftmaxTrainsALinearNetworkOnTheEngine() throws {
        let base = try setup().base
        let before = base.parameters.map(\.values)
        var trained: [Network] = []
        _ = try run("svm-codes") { net, _ in trained.append(net) }
        XCTAssertEqual(trained.count, 0, "LIBLINEAR trains outside the engine")
        let accuracy = try run("softmax-codes") { net, _ in trained.append(net) }
        // The engine's linear network over the 256 penultimate features (new_linear), not a copy of the source.
        XCTAssertEqual(trained.map(\.units), [["fc"]])
        XCTAssertEqual(trained.map { [$0.spec.channels, $0.spec.height, $0.spec.width, $0.classes] }, [[256, 1, 1, 5]])
        XCTAssertGreaterThan(accuracy, 0.6, "softmax on the codes of a network trained on the other five classes")
        XCTAssertEqual(base.parameters.map(\.values), before)
    }

    func testConservationStaysCloserToTheSourceThanFinetuningAtTheSameRate() throws {
        let base = try setup().base
        func distance(_ name: String, _ params: [(String, ParameterValue)]) throws -> Float {
            let s = try setup()
            let config = StrategyConfiguration(name: name, strategy: "conservation", parameters: params, source: .base,
                                               description: "", place: "", parameterPlaces: [:])
            var d: Float = 0
            _ = try run(try ConfiguredStrategy(config, plugin: try s.registry.loaded("conservation"))) { net, _ in
                d = try! net.parameters(of: "fc6")[0].values.enumerated().reduce(0) { acc, e in
                    let diff = e.1 - (try! base.parameters(of: "fc6")[0].values[e.0]); return acc + diff * diff
                }
            }
            return d
        }
        let free = try distance("plain", [("l2sp", .double(0)), ("lr_mult", .double(1))])
        let held = try distance("held", [("l2sp", .double(1.0)), ("lr_mult", .double(1))])
        XCTAssertLessThan(held, free * 0.9, "L2-SP must pull fc6 toward the source weights")
    }

    func testACStrategyBuiltAgainstTheHeaderAloneRuns() throws {
        let dir = try temporaryDirectory(self)
        let so = try compilePlugin(try String(contentsOfFile: Repository.root + "/examples/c-strategy/copy_n.c"), named: "copy-n", in: dir)
        let registry = scannedRegistry([dir])
        XCTAssertEqual(try registry.plugin(named: "copy-n").path, so)
        let plugin = try registry.loaded("copy-n")
        let config = StrategyConfiguration(name: "copy2", strategy: "copy-n", parameters: [("n", .int(2)), ("lr_mult", .double(0))],
                                           source: .base, description: "", place: "", parameterPlaces: [:])
        var seen: Network?
        let accuracy = try run(try ConfiguredStrategy(config, plugin: plugin)) { net, _ in seen = net }
        XCTAssertGreaterThan(accuracy, 0.45)
        XCTAssertEqual(try seen!.parameters(of: "conv2")[0].values, try setup().base.parameters(of: "conv2")[0].values, "lr_mult 0 froze conv2")
        XCTAssertEqual(plugin.info.abiVersion, 2)
        let refused = StrategyConfiguration(name: "bad", strategy: "copy-n", parameters: [("n", .int(-1)), ("lr_mult", .double(0))],
                                            source: .base, description: "", place: "", parameterPlaces: [:])
        XCTAssertThrowsError(try ConfiguredStrategy(refused, plugin: plugin)) {
            XCTAssertTrue("\($0)".hasSuffix("refused its parameters (n=-1, lr_mult=0.0): n (-1) and lr_mult (0) must not be negative"), "\($0)")
        }
    }

    func testAVersion1PluginBuiltAgainstTheVersion1HeaderStillLoadsAndRuns() throws {
        // The C example and header exactly as they were at ABI 1, kept in Tests/Fixtures/v1.
        let dir = try temporaryDirectory(self)
        let fixtures = Repository.root + "/Tests/Fixtures/v1"
        _ = try compilePlugin(try String(contentsOfFile: fixtures + "/copy_n.c"), named: "copy-n", in: dir, include: fixtures)
        let plugin = try scannedRegistry([dir]).loaded("copy-n")
        XCTAssertEqual(plugin.info.abiVersion, 1)
        let config = StrategyConfiguration(name: "copy2", strategy: "copy-n", parameters: [("n", .int(2)), ("lr_mult", .double(0))],
                                           source: .base, description: "", place: "", parameterPlaces: [:])
        var seen: Network?
        XCTAssertGreaterThan(try run(try ConfiguredStrategy(config, plugin: plugin)) { net, _ in seen = net }, 0.45)
        XCTAssertEqual(try seen!.parameters(of: "conv2")[0].values, try setup().base.parameters(of: "conv2")[0].values, "lr_mult 0 froze conv2")
        // A version-1 refusal has no words of its own; version 2's (the current example) has.
        let refused = StrategyConfiguration(name: "bad", strategy: "copy-n", parameters: [("n", .int(-1)), ("lr_mult", .double(0))],
                                            source: .base, description: "", place: "", parameterPlaces: [:])
        XCTAssertThrowsError(try ConfiguredStrategy(refused, plugin: plugin)) { XCTAssertTrue("\($0)".hasSuffix("refused its parameters (n=-1, lr_mult=0.0)"), "\($0)") }
    }

    /// An ABI 2 plugin in C that trains with one loss term of the kind, layer and weight given.
    static let adaptingPlugin = #"""
        #include <harness_strategy.h>
        #include <stdlib.h>
        #include <string.h>
        typedef struct { char kind[32]; char layer[32]; double weight; } config;
        static void *configure(const char *kind, const char *layer, double weight) {
            config *c = calloc(1, sizeof *c);
            strncpy(c->kind, kind, 31); strncpy(c->layer, layer, 31); c->weight = weight;
            return c;
        }
        static int run(void *state, const harness_task *task, const harness_engine *e, harness_host *h, int32_t *out) {
            const config *c = state;
            harness_network *net = e->new_network(h, task->source, task->classes, task->seed);
            harness_loss_term term = { .kind = c->kind, .layer = c->layer, .weight = c->weight, .warm_up = 1, .options = NULL };
            harness_training t = { .struct_size = sizeof t, .epochs = 2, .terms = &term, .term_count = 1 };
            int status = e->train(h, net, &task->train, &t);
            if (status == 0) status = e->predict(h, net, &task->eval, out);
            e->release_network(h, net);
            return status;
        }
        static void release(void *s) { free(s); }
        static const harness_parameter parameters[] = {
            { "kind", HARNESS_STRING, "mmd", "" }, { "layer", HARNESS_STRING, "penultimate", "" }, { "weight", HARNESS_DOUBLE, "0.3", "" },
        };
        static const harness_strategy strategy = {
            .abi_version = HARNESS_STRATEGY_ABI_VERSION, .struct_size = sizeof(harness_strategy), .name = "adapt-probe",
            .version = "0.1", .summary = "", .parameters = parameters, .parameter_count = 3,
            .configure = (void *)configure, .run = run, .release = release,
        };
        const harness_strategy *harness_strategy_entry_v2(void) { return &strategy; }
        """#

    func testLossTermsArriveAsDataAndBadOnesNameTheirCause() throws {
        let s = try setup()
        let dir = try temporaryDirectory(self)
        _ = try compilePlugin(Self.adaptingPlugin, named: "adapt-probe", in: dir)
        let plugin = try scannedRegistry([dir]).loaded("adapt-probe")
        func attempt(_ kind: String, layer: String = "penultimate", weight: Double = 0.3, unlabelled: Bool = true) -> Result<Double, Error> {
            let config = StrategyConfiguration(name: kind, strategy: "adapt-probe",
                                               parameters: [("kind", .string(kind)), ("layer", .string(layer)), ("weight", .double(weight))],
                                               source: .base, description: "", place: "", parameterPlaces: [:])
            var task = TransferTask(source: s.base, train: s.target.train, eval: s.target.test,
                                    classes: 5, seed: 7, training: .testing(epochs: 6, batch: 16, lr: 0.02))
            if unlabelled { task.unlabelled = s.target.test }  // any images without their labels will do here
            return Result {
                let predictions = try ConfiguredStrategy(config, plugin: plugin).run(task)
                return ClassificationMetrics(predictions: predictions, labels: s.target.test.labels, classCount: 5).accuracy
            }
        }
        // (MMD at 0.3 collapses this from-scratch network's features to a point: chance accuracy.)
        for (kind, weight) in [("mmd", 0.05), ("coral", 0.3), ("adversarial", 0.3)] {
            XCTAssertGreaterThan(try attempt(kind, weight: weight).get(), 0.4, "\(kind) trains through the ABI, on the task's unlabelled images")
        }
        func failure(_ r: Result<Double, Error>) -> String { if case let .failure(e) = r { return "\(e)" } else { return "no failure" } }
        XCTAssertTrue(failure(attempt("mmd", unlabelled: false)).contains("needs unlabelled target training images"))
        XCTAssertTrue(failure(attempt("coral", layer: "fc9")).contains("unknown layer 'fc9'"))
        XCTAssertTrue(failure(attempt("mmd", weight: -1)).contains("the weight must be a finite number >= 0, not -1.0"))
        XCTAssertTrue(failure(attempt("wasserstein")).contains("unknown loss term 'wasserstein' (known: l2sp, distillation, mmd, coral, adversarial)"))
    }

    func testAdaptationStrategiesRunOnADomainShiftAndRefuseOtherTasks() throws {
        // A shift of the target's own classes: the self-transfer network (trained on B, upright)
        // is the source, its training images the labelled source images; the target is B with
        // every pixel brightened by one standard deviation, its training images unlabelled.
        let s = try setup()
        func shifted(_ set: ImageSet) -> ImageSet {
            ImageSet(channels: set.channels, height: set.height, width: set.width, pixels: set.pixels.map { $0 + 1 }, labels: set.labels)
        }
        let test = shifted(s.target.test)
        var accuracies: [String: Double] = [:]
        for c in try s.file.configurations where Self.adaptation.contains(c.strategy) {
            let strategy = try ConfiguredStrategy(c, plugin: try s.registry.loaded(c.strategy))
            var task = TransferTask(source: s.selfNetwork, train: ImageSet(channels: 1, height: 28, width: 28, pixels: [], labels: []),
                                    eval: test, classes: 5, seed: 7, training: .testing(epochs: 3, batch: 16, lr: 0.01))
            task.unlabelled = shifted(s.target.train)
            task.sourceTrain = s.target.train
            task.sourceClasses = 5
            accuracies[c.name] = ClassificationMetrics(predictions: try strategy.run(task), labels: test.labels, classCount: 5).accuracy
            // On an ordinary transfer task (other classes, no unlabelled images) each says what it needs.
            let plain = TransferTask(source: s.base, train: s.target.train, eval: test, classes: 5,
                                     seed: 7, training: .testing(epochs: 1, batch: 16, lr: 0.01))
            XCTAssertThrowsError(try strategy.run(plain)) { XCTAssertTrue("\($0)".contains("needs a domain-shift scenario"), "\(c.name): \($0)") }
        }
        print("adaptation on a brightness shift:", accuracies.sorted { $0.key < $1.key })
        XCTAssertEqual(Set(accuracies.keys), ["source-only", "no-adaptation", "mmd", "dan", "coral", "dann"])
        for (name, accuracy) in accuracies { XCTAssertGreaterThan(accuracy, 0.3, "\(name) on 5 classes (chance 0.2)") }
    }

    func testOutOfRangeLayerCountsAreTheStrategysError() throws {
        let s = try setup()
        let config = StrategyConfiguration(name: "freeze9", strategy: "freeze-n", parameters: [("n", .int(9))], source: .base,
                                           description: "", place: "", parameterPlaces: [:])
        XCTAssertThrowsError(try run(try ConfiguredStrategy(config, plugin: try s.registry.loaded("freeze-n")))) {
            XCTAssertTrue("\($0)".contains("n = 9: must be between 0 and 7"), "\($0)")
        }
    }

    /// The model a cell can hand over is the network whose predict call on the evaluation images
    /// gave exactly the strategy's predictions, unchanged since: kept alive when the strategy
    /// releases it, refused when the strategy trained it after predicting.
    func testTheModelIsTheNetworkThatPredictedUnchangedSince() throws {
        let dir = try temporaryDirectory(self)
        let so = try compilePlugin("""
            #include <harness_strategy.h>
            #include <stdlib.h>
            #include <string.h>
            static int mode;
            static void *configure(int m) { mode = m; return malloc(1); }
            static int run(void *state, const harness_task *task, const harness_engine *e, harness_host *h, int32_t *predictions) {
                harness_network *net = e->new_network(h, task->source, task->classes, task->seed);
                harness_training t = { .struct_size = sizeof t };
                if (e->copy_layer(h, net, task->source, "conv1") || e->train(h, net, &task->train, &t)) return 1;
                if (e->predict(h, net, &task->eval, predictions)) return 1;
                if (mode == 1) {  /* trained again after predicting: those predictions are no longer this network's */
                    if (e->train(h, net, &task->train, &t)) return 1;
                }
                if (mode == 2) {  /* a part of the evaluation images: no network predicted all of them */
                    harness_images half = task->eval;
                    half.count /= 2;
                    if (e->predict(h, net, &half, predictions)) return 1;
                    int32_t *rest = malloc(sizeof(int32_t) * task->eval.count);
                    if (e->predict(h, net, &task->eval, rest)) return 1;
                    memcpy(predictions + half.count, rest + half.count, sizeof(int32_t) * (task->eval.count - half.count));
                    predictions[0] = (predictions[0] + 1) % task->classes;
                    free(rest);
                }
                e->release_network(h, net);
                return 0;
            }
            static void release(void *s) { free(s); }
            static const harness_parameter parameters[] = { { "mode", HARNESS_INT, "0", "what the test exercises" } };
            static const harness_strategy strategy = {
                .abi_version = HARNESS_STRATEGY_ABI_VERSION, .struct_size = sizeof(harness_strategy), .name = "model-probe",
                .version = "1", .summary = "test", .parameters = parameters, .parameter_count = 1,
                .configure = (void *)configure, .run = run, .release = release,
            };
            const harness_strategy *harness_strategy_entry_v2(void) { return &strategy; }
            """, named: "model-probe", in: dir)
        let plugin = try StrategyPlugin(path: so)
        let s = try setup()
        let task = TransferTask(source: s.base, train: s.target.train, eval: s.target.test, classes: 5, seed: 7, training: .testing(epochs: 2, batch: 16, lr: 0.02))
        func model(_ mode: Int) throws -> (StrategyModel?, [Int]) {
            let config = StrategyConfiguration(name: "probe\(mode)", strategy: "model-probe", parameters: [("mode", .int(mode))],
                                               source: .base, description: "", place: "", parameterPlaces: [:])
            var kept: StrategyModel?
            let predictions = try ConfiguredStrategy(config, plugin: plugin).run(task, model: { kept = $0 })
            return (kept, predictions)
        }
        let (released, predictions) = try model(0)
        guard case let .network(network)? = released else { return XCTFail("the released network that predicted is the model: \(String(describing: released))") }
        XCTAssertEqual(network.predict(s.target.test), predictions, "the kept network predicts what the strategy returned")
        XCTAssertGreaterThan(ClassificationMetrics(predictions: predictions, labels: s.target.test.labels, classCount: 5).accuracy, 0.4)
        for mode in [1, 2] {
            guard case let .unavailable(why)? = try model(mode).0 else { return XCTFail("mode \(mode) has no model") }
            XCTAssertTrue(why.contains("the predictions of probe\(mode) (model-probe) are not those of one network's predict call"), why)
        }
    }
}
