// The adaptation losses' gradients against finite differences (the shared checker), and their
// values where they are known: zero between identical domains, growing with the shift.
import XCTest
@testable import HarnessCore
@testable import HarnessMetrics
@testable import HarnessData
@testable import HarnessEngine

final class LossTermGradientTests: XCTestCase {
    // The distances are small numbers: a tight tolerance relative to them, not to 1.
    var checker: GradientChecker {
        var c = GradientChecker()
        c.epsilon = 1e-3
        c.tolerance = 1e-3
        return c
    }

    func rows(_ n: Int, _ d: Int, seed: UInt64, shift: Float = 0, scale: Float = 1) -> FeatureRows {
        FeatureRows(gaussian(n * d, seed: seed).map { $0 * scale + shift }, rows: n, width: d)
    }

    /// `f` of the joint vector (source rows, then target rows).
    func split(_ x: [Float], _ s: FeatureRows, _ t: FeatureRows) -> (FeatureRows, FeatureRows) {
        (FeatureRows(Array(x[..<s.values.count]), rows: s.rows, width: s.width),
         FeatureRows(Array(x[s.values.count...]), rows: t.rows, width: t.width))
    }

    func testMMDGradientWithSeveralKernels() {
        let s = rows(6, 5, seed: 1), t = rows(7, 5, seed: 2, shift: 0.7)
        let bandwidths = MMDBandwidths.fixed([0.5, 2, 8])
        let r = DomainDistance.mmd(source: s, target: t, bandwidths: bandwidths)
        XCTAssertGreaterThan(r.value, 0.01)
        var c = checker
        c.samplesPerTensor = 100
        let n = c.check("mmd", at: s.values + t.values, analytic: r.sourceGradient + r.targetGradient) { x in
            let (a, b) = self.split(x, s, t)
            return DomainDistance.mmd(source: a, target: b, bandwidths: bandwidths).value
        }
        XCTAssertEqual(n, 65)
    }

    func testMMDBandwidthsFollowTheBatchButAreConstantsOfTheStep() {
        let s = rows(5, 4, seed: 3), t = rows(5, 4, seed: 4, shift: 1)
        let joint = s.values + t.values
        var sum = 0.0
        for i in 0..<10 {
            for j in 0..<10 where i != j {
                for c in 0..<4 { let d = Double(joint[i * 4 + c] - joint[j * 4 + c]); sum += d * d }
            }
        }
        let mean = sum / 90
        let relative = DomainDistance.mmd(source: s, target: t, bandwidths: .relative([0.5, 1]))
        let fixed = DomainDistance.mmd(source: s, target: t, bandwidths: .fixed([0.5 * mean, mean]))
        XCTAssertEqual(relative.value, fixed.value, accuracy: 1e-9)
        XCTAssertEqual(relative.sourceGradient, fixed.sourceGradient)
    }

    func testMMDIsZeroBetweenIdenticalDomainsAndGrowsWithTheShift() {
        let s = rows(8, 3, seed: 5)
        XCTAssertEqual(DomainDistance.mmd(source: s, target: s, bandwidths: .fixed([1])).value, 0, accuracy: 1e-12)
        let near = DomainDistance.mmd(source: s, target: rows(8, 3, seed: 5, shift: 0.2), bandwidths: .fixed([1])).value
        let far = DomainDistance.mmd(source: s, target: rows(8, 3, seed: 5, shift: 1), bandwidths: .fixed([1])).value
        XCTAssertGreaterThan(near, 0)
        XCTAssertGreaterThan(far, 4 * near)
    }

    func testCORALGradient() {
        let s = rows(9, 4, seed: 6), t = rows(7, 4, seed: 7, shift: 0.3, scale: 2)
        let r = DomainDistance.coral(source: s, target: t)
        XCTAssertGreaterThan(r.value, 0.01)
        checker.check("coral", at: s.values + t.values, analytic: r.sourceGradient + r.targetGradient) { x in
            let (a, b) = self.split(x, s, t)
            return DomainDistance.coral(source: a, target: b).value
        }
    }

    func testCORALComparesCovariancesOnly() {
        let s = rows(10, 3, seed: 8)
        XCTAssertEqual(DomainDistance.coral(source: s, target: rows(10, 3, seed: 8, shift: 5)).value, 0, accuracy: 1e-9,
                       "a shifted mean is not CORAL's business")
        // Scaling every feature by 2 multiplies the covariance by 4: |4C - C|^2 / (4 d^2) = 9 |C|^2 / 36.
        let doubled = rows(10, 3, seed: 8, scale: 2)
        let r = DomainDistance.coral(source: s, target: doubled).value
        let c = DomainDistance.coral(source: s, target: FeatureRows([Float](repeating: 0, count: 30), rows: 10, width: 3)).value
        XCTAssertEqual(r, 9 * c, accuracy: 1e-6 * r)
    }
}

/// Training on two domains: the adversarial term's gradient, and that the terms do what they are
/// for (pull the domains' features together) without ever reading a target label.
final class DomainAdaptationTests: XCTestCase {
    func testTheDiscriminatorsFeatureGradientMatchesFiniteDifferences() {
        let features = FeatureRows(gaussian(6 * 5, seed: 11), rows: 6, width: 5)
        let discriminator = try! DomainDiscriminator(features: 5, hidden: 7, seed: 3)
        let (loss, gradient) = discriminator.lossAndGradient(features, sourceRows: 3)
        XCTAssertGreaterThan(loss, 0)
        var checker = GradientChecker()
        checker.epsilon = 1e-3
        checker.tolerance = 1e-3
        checker.check("domain loss", at: features.values, analytic: gradient) { x in
            discriminator.lossAndGradient(FeatureRows(x, rows: 6, width: 5), sourceRows: 3).loss
        }
    }

    func testWarmUpRampsTheWeightFromZero() {
        let term = DomainLossTerm(.adversarial(hidden: 8), weight: 0.5, warmUp: true)
        XCTAssertEqual(term.lambda(progress: 0), 0, accuracy: 1e-12)
        XCTAssertEqual(term.lambda(progress: 1), 0.5 * (2 / (1 + exp(-10)) - 1), accuracy: 1e-12)
        XCTAssertEqual(DomainLossTerm(.coral, weight: 0.5).lambda(progress: 0), 0.5)
    }

    /// Source: 5 Fashion-MNIST classes; target: other images of the same classes, inverted.
    func domains() throws -> (source: ImageSet, target: ImageSet, targetTest: ImageSet, sourceTest: ImageSet) {
        var d = try FashionFixture.load().restricted(to: [0, 1, 5, 7, 8])
        d.normalizeWithTrainingStatistics()
        let source = d.train.stratified(perClass: 60, seed: 1)
        func inverted(_ s: ImageSet) -> ImageSet {
            ImageSet(channels: s.channels, height: s.height, width: s.width, pixels: s.pixels.map { -$0 }, labels: s.labels)
        }
        let pool = d.train.stratified(perClass: 120, seed: 2)
        var target = inverted(pool.subset(Array(60..<pool.count)))
        target.labels = [Int](repeating: 99, count: target.count)  // never read: an out-of-range label would crash the loss
        let test = d.test.stratified(perClass: 40, seed: 3)
        return (source, target, inverted(test), test)
    }

    func testMMDAndCORALPullTheDomainsFeaturesTogetherWithoutTargetLabels() throws {
        let (source, target, targetTest, sourceTest) = try domains()
        let spec = try NetworkChoice("lenet-5").spec(classes: 5, shape: InputShape(source))
        func trained(_ terms: [DomainLossTerm]) throws -> Network {
            let net = try Network(spec: spec, seed: 4)
            _ = try Trainer.train(net, on: source, hyperparameters: .testing(epochs: 6, batch: 30), seed: 5,
                                  adaptation: terms.isEmpty ? nil : DomainAdaptation(target: target, terms: terms))
            return net
        }
        // On held-out images of both domains, with the kernels of the loss.
        func distance(_ net: Network, _ measure: (FeatureRows, FeatureRows) -> Double) throws -> Double {
            let s = try net.features(at: Network.penultimate, for: sourceTest.pixels)
            let t = try net.features(at: Network.penultimate, for: targetTest.pixels)
            return measure(FeatureRows(s, rows: sourceTest.count, width: 84), FeatureRows(t, rows: targetTest.count, width: 84))
        }
        let mmd = { (s: FeatureRows, t: FeatureRows) in DomainDistance.mmd(source: s, target: t).value }
        let coral = { (s: FeatureRows, t: FeatureRows) in DomainDistance.coral(source: s, target: t).value }
        let plain = try trained([])
        // Weights where the classifier still learns (a larger MMD weight collapsed the features
        // to one point: zero distance, chance accuracy).
        for (term, measure) in [(DomainLossTerm(.mmd(.dan), weight: 0.3), mmd), (DomainLossTerm(.coral, weight: 10), coral)] {
            let adapted = try trained([term])
            let before = try distance(plain, measure), after = try distance(adapted, measure)
            XCTAssertLessThan(after, 0.5 * before, "\(term.kind) training should at least halve the distance it minimises (\(before) -> \(after))")
            // The classification loss still works beside the domain term.
            let accuracy = ClassificationMetrics(predictions: adapted.predict(sourceTest.pixels), labels: sourceTest.labels, classCount: 5).accuracy
            XCTAssertGreaterThan(accuracy, 0.7, "\(term.kind): source accuracy \(accuracy), chance 0.2")
        }
    }

    func testAnAdaptationRunWithoutTargetImagesOrWithAMissingLayerSaysSo() throws {
        let (source, target, _, _) = try domains()
        let net = try Network(spec: try NetworkChoice("lenet-5").spec(classes: 5, shape: InputShape(source)), seed: 4)
        let settings = Hyperparameters.testing(epochs: 1, batch: 30)
        let empty = ImageSet(channels: 1, height: 28, width: 28, pixels: [], labels: [])
        XCTAssertThrowsError(try Trainer.train(net, on: source, hyperparameters: settings, seed: 5, adaptation: DomainAdaptation(target: empty, terms: [DomainLossTerm(.coral, weight: 1)]))) {
            XCTAssertTrue("\($0)".contains("needs unlabelled target training images"), "\($0)")
        }
        XCTAssertThrowsError(try Trainer.train(net, on: source, hyperparameters: settings, seed: 5,
                                               adaptation: DomainAdaptation(target: target, terms: [DomainLossTerm(.coral, layer: "fc9", weight: 1)]))) {
            XCTAssertTrue("\($0)".contains("unknown layer 'fc9'"), "\($0)")
        }
    }

    func testDANNTrainsBesideTheClassifier() throws {
        let (source, target, _, sourceTest) = try domains()
        let net = try Network(spec: try NetworkChoice("lenet-5").spec(classes: 5, shape: InputShape(source)), seed: 4)
        _ = try Trainer.train(net, on: source, hyperparameters: .testing(epochs: 6, batch: 30), seed: 5,
                              adaptation: DomainAdaptation(target: target, terms: [DomainLossTerm(.adversarial(hidden: 32), weight: 0.1, warmUp: true)]))
        XCTAssertNil(net.firstNonFiniteParameter)
        let accuracy = ClassificationMetrics(predictions: net.predict(sourceTest.pixels), labels: sourceTest.labels, classCount: 5).accuracy
        XCTAssertGreaterThan(accuracy, 0.7, "source accuracy \(accuracy), chance 0.2")
    }
}
