// One gradient checker for every layer (Caffe's habit): the loss is sum(logits * R) for a fixed
// random R, so dLoss/dLogits = R; every analytic gradient (input and parameters) is compared
// with a central finite difference, evaluated in double precision from float outputs.
import XCTest
@testable import HarnessCore
@testable import HarnessSupport
@testable import HarnessEngine

struct GradientChecker {
    var epsilon: Float = 1e-2
    /// |analytic - numeric| must be within this fraction of max(1, |analytic|, |numeric|).
    var tolerance: Double = 2e-2
    /// Checks at most this many coordinates per tensor (all of them when smaller).
    var samplesPerTensor = 60

    /// Checks the gradient of the input and of every parameter of `network` for `input`.
    /// Returns the number of coordinates checked; fails the test on any mismatch.
    @discardableResult
    func check(_ network: Network, input: [Float], batch: Int, seed: UInt64 = 7,
               file: StaticString = #filePath, line: UInt = #line) -> Int {
        network.prepare(batch: batch, inputGradient: true)
        var generator = SeededGenerator(seed: seed, stream: "gradient-check")
        let outputs = batch * network.classes
        let r = (0..<outputs).map { _ in generator.nextGaussian() }
        var x = input

        func loss() -> Double {
            x.withUnsafeBufferPointer { network.inputBuffer.update(from: $0.baseAddress!, count: $0.count) }
            network.forward(training: true)
            var s = 0.0
            for i in 0..<outputs { s += Double(network.logits[i]) * Double(r[i]) }
            return s
        }

        // Analytic gradients.
        _ = loss()
        for i in 0..<outputs { network.logitsGradient[i] = r[i] }
        network.backward()
        let inputGradient = Array(UnsafeBufferPointer(start: network.inputGradientBuffer!, count: x.count))
        let parameterGradients = network.parameters.map(\.gradients)

        var checked = 0
        func compare(_ name: String, _ analytic: Float, _ numeric: Double) {
            checked += 1
            let scale = max(1, abs(Double(analytic)), abs(numeric))
            XCTAssertLessThanOrEqual(abs(Double(analytic) - numeric), tolerance * scale,
                                     "\(name): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
        }
        func sample(_ count: Int) -> [Int] {
            count <= samplesPerTensor ? Array(0..<count)
                : Array(Array(0..<count).shuffled(using: &generator).prefix(samplesPerTensor))
        }

        for i in sample(x.count) {
            let keep = x[i]
            x[i] = keep + epsilon; let plus = loss()
            x[i] = keep - epsilon; let minus = loss()
            x[i] = keep
            compare("input[\(i)]", inputGradient[i], (plus - minus) / (2 * Double(epsilon)))
        }
        for (p, grads) in zip(network.parameters, parameterGradients) {
            for i in sample(p.count) {
                let keep = p.valuePointer[i]
                p.valuePointer[i] = keep + epsilon; p.markChanged(); let plus = loss()
                p.valuePointer[i] = keep - epsilon; p.markChanged(); let minus = loss()
                p.valuePointer[i] = keep; p.markChanged()
                compare("\(p.name)[\(i)]", grads[i], (plus - minus) / (2 * Double(epsilon)))
            }
        }
        return checked
    }
}

extension GradientChecker {
    /// Checks a loss term's gradient: `analytic` against central differences of `f` at `x`
    /// (every coordinate, or a sample of `samplesPerTensor`). Returns the number checked.
    @discardableResult
    func check(_ name: String, at x: [Float], analytic: [Float], seed: UInt64 = 7, _ f: ([Float]) -> Double,
               file: StaticString = #filePath, line: UInt = #line) -> Int {
        precondition(analytic.count == x.count)
        var generator = SeededGenerator(seed: seed, stream: "gradient-check/\(name)")
        let indices = x.count <= samplesPerTensor ? Array(0..<x.count)
            : Array(Array(0..<x.count).shuffled(using: &generator).prefix(samplesPerTensor))
        var probe = x
        for i in indices {
            let keep = probe[i]
            probe[i] = keep + epsilon; let plus = f(probe)
            probe[i] = keep - epsilon; let minus = f(probe)
            probe[i] = keep
            let numeric = (plus - minus) / (2 * Double(epsilon))
            let scale = max(1, abs(Double(analytic[i])), abs(numeric))
            XCTAssertLessThanOrEqual(abs(Double(analytic[i]) - numeric), tolerance * scale,
                                     "\(name)[\(i)]: analytic \(analytic[i]) vs numeric \(numeric)", file: file, line: line)
        }
        return indices.count
    }
}

/// Values with gaps of at least `gap` between any two, in random order: no max-pooling tie and no
/// ReLU kink is within reach of a finite-difference step.
func wellSeparated(_ count: Int, gap: Float = 0.05, seed: UInt64 = 3) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    let values = (0..<count).map { (Float($0) - Float(count) / 2 + 0.5) * gap }
    return values.shuffled(using: &generator)
}

func gaussian(_ count: Int, seed: UInt64 = 5, sigma: Float = 1) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in generator.nextGaussian() * sigma }
}
