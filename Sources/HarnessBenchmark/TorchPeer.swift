// The PyTorch peer of `harness bench`: bench/torch_throughput.py, kept running so that runs can
// alternate with the engine's without paying torch's start-up each time. One JSON request per
// line in, one JSON answer per line out.
import Foundation

public enum TorchLayout: String, CaseIterable, Codable, Sendable {
    case nchw
    case channelsLast = "channels_last"
}

public struct BenchmarkError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public final class TorchPeer {
    public private(set) var version = "?"
    private let process = Process()
    private let input: FileHandle
    private let output: FileHandle
    private var buffered = Data()
    private let log: URL

    /// Starts the peer with the harness's network spec (a NetworkSpec JSON file) and data folder
    /// and waits until it has loaded torch and the data. Its standard error goes to `log`.
    public init(python: String, script: String, specFile: URL, data: String, threads: Int, log: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw BenchmarkError("\(python) not found: the PyTorch peer needs Debian's python3 with python3-torch (apt-get install python3-torch; scripts/bench.sh installs it)")
        }
        guard FileManager.default.fileExists(atPath: script) else {
            throw BenchmarkError("\(script) not found: pass --peer-dir with the repository's bench/ folder")
        }
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let stdin = Pipe(), stdout = Pipe()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--spec", specFile.path, "--data", data, "--threads", "\(threads)"]
        process.environment = ProcessInfo.processInfo.environment.merging(["OPENBLAS_NUM_THREADS": "1"]) { $1 }
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: log)
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading
        try process.run()
        let ready = try readAnswer()
        version = ready["torch"] as? String ?? version
    }

    deinit {
        try? input.close()
        process.waitUntilExit()
    }

    /// Trains (or infers) `steps` batches after `warmup` untimed ones.
    public func measure(training: Bool, layout: TorchLayout, batch: Int, steps: Int, warmup: Int) throws -> Throughput {
        let request: [String: Any] = ["op": training ? "train" : "infer", "layout": layout.rawValue,
                                      "batch": batch, "steps": steps, "warmup": warmup]
        var line = try JSONSerialization.data(withJSONObject: request)
        line.append(0x0A)
        try input.write(contentsOf: line)
        let answer = try readAnswer()
        guard let images = answer["images"] as? Int, let seconds = answer["seconds"] as? Double else {
            throw BenchmarkError("the PyTorch peer answered without images and seconds: \(answer)")
        }
        return Throughput(images: images, seconds: seconds)
    }

    private func readAnswer() throws -> [String: Any] {
        while !buffered.contains(0x0A) {
            let chunk = output.availableData
            if chunk.isEmpty {
                let tail = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(8).joined(separator: "\n")
                throw BenchmarkError("the PyTorch peer stopped (is python3-torch installed?); its last words:\n\(tail)")
            }
            buffered.append(chunk)
        }
        let end = buffered.firstIndex(of: 0x0A)!
        let line = buffered[buffered.startIndex..<end]
        buffered = Data(buffered[(end + 1)...])
        guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            throw BenchmarkError("the PyTorch peer wrote something other than JSON: \(String(decoding: line, as: UTF8.self))")
        }
        return object
    }
}
