// svm-codes: "CNN codes": the source network's activations at one layer (default penultimate:
// relu7 in the default network) for every image, standardised, then a linear classifier on them;
// the network itself never trains. Classifiers: a linear SVM from LIBLINEAR (one-vs-rest,
// L2-regularised L2 loss, the DeCAF/Razavian et al. recipe), or softmax regression trained by
// the engine's own training loop on a linear network over the codes (new_linear), so no plugin
// keeps a training loop of its own.
import CLinear
import StrategyAPI

struct SVMCodes: Strategy {
    static let name = "svm-codes"
    /// 1.1: the SVM has its bias term (1.0 trained without one); results of 1.0 are not reused.
    /// 1.2: layer defaults to penultimate, which names the same features in every network.
    /// 2.0: softmax trains on the engine (new_linear) instead of the plugin's own SGD loop.
    static let version = "2.0"
    static let summary = "features at one source layer fed to a linear SVM (LIBLINEAR) or softmax regression (on the engine); the source network is not trained"
    @Parameter(help: "layer whose output is the code: penultimate (what the classifier reads: relu7 in the default network) or a name (relu6, pool5)")
    var layer = "penultimate"
    // classifier and c are checked by the host against their declared ranges.
    @Parameter(range: "svm|softmax", help: "svm (LIBLINEAR) or softmax (regression trained on the engine)") var classifier = "svm"
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
            : try softmax(trainRows, labels, evalRows, task: task, engine: engine)
    }

    /// The probe's budget, as the plugin's own solver had it: a linear model on a small target
    /// needs more passes than a network's few epochs give.
    static let probeEpochs = 40, probeBatch = 32

    /// Multinomial logistic regression on the standardised codes: a linear network on the engine,
    /// zero-initialised, trained by SGD with momentum 0.9 and a cosine-decayed rate from the
    /// task's, weight decay 1/(C n) on the weights.
    private func softmax(_ rows: [[Double]], _ labels: [Int32], _ evalRows: [[Double]], task: StrategyTask, engine: Engine) throws -> [Int32] {
        let width = rows.first?.count ?? 0
        let net = try engine.newLinear(width: width, classes: task.classes, seed: task.seed)
        try engine.reinitialize(["fc"], of: net, with: "constant:0", seed: task.seed)
        var probe = Training()
        probe.epochs = Self.probeEpochs
        probe.batchSize = Self.probeBatch
        probe.schedule = "cosine"
        probe.momentum = 0.9
        probe.weightDecay = 1 / (c * Double(max(rows.count, 1)))
        try engine.train(net, on: Images(features: rows.flatMap { $0.map(Float.init) }, width: width, labels: labels), probe)
        return try engine.predict(net, Images(features: evalRows.flatMap { $0.map(Float.init) }, width: width, labels: nil))
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
}

@_cdecl("harness_strategy_entry_v2")
public func entry() -> UnsafeRawPointer { export(SVMCodes.self) }

#if canImport(Glibc)
import Glibc
#endif
