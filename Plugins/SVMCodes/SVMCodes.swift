// svm-codes: "CNN codes": the source network's activations at one layer (default relu7, fc7
// after its ReLU) for every image, then a linear classifier on them. The network itself is never
// trained. Classifiers: a linear SVM from LIBLINEAR (one-vs-rest, L2-regularised L2 loss, the
// DeCAF/Razavian et al. recipe) or multinomial softmax regression trained here by minibatch SGD.
import CLinear
import StrategyAPI

struct SVMCodes: Strategy {
    static let name = "svm-codes"
    /// 1.1: the SVM has its bias term (1.0 trained without one); results of 1.0 are not reused.
    /// 1.2: layer defaults to penultimate, which names the same features in every network.
    static let version = "1.2"
    static let summary = "features at one source layer fed to a linear SVM (LIBLINEAR) or softmax regression; the network is not trained"
    @Parameter(help: "layer whose output is the code: penultimate (what the classifier reads: relu7 in the default network) or a name (relu6, pool5)")
    var layer = "penultimate"
    // classifier and c are checked by the host against their declared ranges.
    @Parameter(range: "svm|softmax", help: "svm (LIBLINEAR) or softmax") var classifier = "svm"
    @Parameter(range: "1e-9..", help: "SVM cost C (inverse regularisation); softmax uses weight decay 1/(C*n)") var c = 1.0

    func run(_ task: StrategyTask, engine: Engine) throws -> [Int32] {
        let (train, width) = try engine.features(of: task.source, at: layer, for: task.train)
        let (eval, _) = try engine.features(of: task.source, at: layer, for: task.eval)
        let labels = task.train.labels!
        // Standardise each feature with training statistics: both solvers converge far better.
        let n = task.train.count
        var mean = [Double](repeating: 0, count: width), std = [Double](repeating: 0, count: width)
        for i in 0..<n { for j in 0..<width { mean[j] += Double(train[i * width + j]) } }
        for j in 0..<width { mean[j] /= Double(max(n, 1)) }
        for i in 0..<n { for j in 0..<width { let d = Double(train[i * width + j]) - mean[j]; std[j] += d * d } }
        for j in 0..<width { std[j] = (std[j] / Double(max(n, 1))).squareRoot(); if std[j] < 1e-8 { std[j] = 1 } }
        func standardized(_ x: [Float], _ i: Int) -> [Double] { (0..<width).map { (Double(x[i * width + $0]) - mean[$0]) / std[$0] } }
        let trainRows = (0..<n).map { standardized(train, $0) }
        let evalRows = (0..<task.eval.count).map { standardized(eval, $0) }
        engine.log("svm-codes: \(width) features at \(layer), \(classifier) on \(n) images")
        return classifier == "svm"
            ? try linearSVM(trainRows, labels, evalRows)
            : softmax(trainRows, labels, evalRows, classes: task.classes, seed: task.seed)
    }

    private func linearSVM(_ rows: [[Double]], _ labels: [Int32], _ evalRows: [[Double]]) throws -> [Int32] {
        set_print_string_function { _ in }  // LIBLINEAR prints progress to stdout otherwise
        // Sparse rows as LIBLINEAR wants them: (index from 1, value) pairs, then the bias feature
        // (index width + 1, value 1, which LIBLINEAR expects in every row when problem.bias >= 0,
        // training and prediction alike), then the index -1 terminator.
        func nodes(_ row: [Double]) -> UnsafeMutablePointer<feature_node> {
            let p = UnsafeMutablePointer<feature_node>.allocate(capacity: row.count + 2)
            for (j, v) in row.enumerated() { p[j] = feature_node(index: Int32(j + 1), value: v) }
            p[row.count] = feature_node(index: Int32(row.count + 1), value: 1)
            p[row.count + 1] = feature_node(index: -1, value: 0)
            return p
        }
        let x = rows.map { Optional(nodes($0)) }
        defer { x.forEach { $0?.deallocate() } }
        var y = labels.map(Double.init)
        var xs = x
        return try y.withUnsafeMutableBufferPointer { yb in
            try xs.withUnsafeMutableBufferPointer { xb in
                // n counts the bias feature too.
                var problem = CLinear.problem(l: Int32(rows.count), n: Int32((rows.first?.count ?? 0) + 1), y: yb.baseAddress, x: xb.baseAddress, bias: 1)
                var param = CLinear.parameter()
                param.solver_type = Int32(L2R_L2LOSS_SVC_DUAL)
                param.eps = 0.1
                param.C = c
                if let problemText = check_parameter(&problem, &param) {
                    throw StrategyError("LIBLINEAR refused its parameters: \(String(cString: problemText))")
                }
                guard let model = train(&problem, &param) else { throw StrategyError("LIBLINEAR failed to train") }
                defer { var m: UnsafeMutablePointer<model>? = model; free_and_destroy_model(&m) }
                return evalRows.map { row in
                    let p = nodes(row)
                    defer { p.deallocate() }
                    return Int32(predict(model, p))
                }
            }
        }
    }

    /// Multinomial logistic regression: minibatch SGD with momentum and a cosine-decayed rate,
    /// on flat row-major buffers (weights: (width + 1) x classes, the last row the bias).
    private func softmax(_ rows: [[Double]], _ labels: [Int32], _ evalRows: [[Double]], classes k: Int, seed: UInt64) -> [Int32] {
        let width = rows.first?.count ?? 0, n = rows.count
        let x = rows.flatMap { $0 }
        var w = [Double](repeating: 0, count: (width + 1) * k), v = w, g = w
        let decay = 1 / (c * Double(max(n, 1)))
        let epochs = 40, batch = 32
        var order = Array(0..<n)
        var rng = SplitMix(state: seed)
        let steps = epochs * ((n + batch - 1) / batch)
        var step = 0
        var s = [Double](repeating: 0, count: k)
        func scores(_ row: UnsafeBufferPointer<Double>, _ w: UnsafeBufferPointer<Double>) {
            for c in 0..<k { s[c] = w[width * k + c] }
            for j in 0..<width where row[j] != 0 { for c in 0..<k { s[c] += row[j] * w[j * k + c] } }
        }
        for _ in 0..<epochs {
            order.shuffle(using: &rng)
            for start in stride(from: 0, to: n, by: batch) {
                let rate = 0.05 * (1 + cos(Double.pi * Double(step) / Double(steps))) / 2
                step += 1
                for j in 0..<g.count { g[j] = 0 }
                let members = order[start..<min(start + batch, n)]
                x.withUnsafeBufferPointer { xb in
                    w.withUnsafeBufferPointer { wb in
                        for i in members {
                            let row = UnsafeBufferPointer(rebasing: xb[(i * width)..<((i + 1) * width)])
                            scores(row, wb)
                            let m = s.max()!
                            var z = 0.0
                            for c in 0..<k { s[c] = exp(s[c] - m); z += s[c] }
                            for c in 0..<k {
                                let d = (s[c] / z - (Int(labels[i]) == c ? 1 : 0)) / Double(members.count)
                                for j in 0..<width { g[j * k + c] += d * row[j] }
                                g[width * k + c] += d
                            }
                        }
                    }
                }
                for j in 0..<w.count {
                    v[j] = 0.9 * v[j] + g[j] + (j < width * k ? decay * w[j] : 0)
                    w[j] -= rate * v[j]
                }
            }
        }
        return evalRows.map { row in
            row.withUnsafeBufferPointer { r in w.withUnsafeBufferPointer { scores(r, $0) } }
            return Int32(s.indices.max { s[$0] < s[$1] }!)
        }
    }
}

/// A small seeded generator, so the softmax option is reproducible from the task's seed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(SVMCodes.self) }

#if canImport(Glibc)
import Glibc
#endif
