// Decoding an image folder on every core, in child processes. libvips 8.14 decoding two images at
// once in one process corrupted the heap now and then (a race in its thread handling), so each
// process decodes one image at a time and the parallelism is between processes, as torchvision's
// DataLoader workers do. A child is `harness decode-images`; its share of the files comes back as
// 8-bit pixels in a safetensors file, with each file that failed and why.
import Foundation
import HarnessSupport

public struct DecoderProcesses: Sendable {
    /// The harness binary, which has the hidden `decode-images` command.
    public var executable: String
    public var processes: Int
    /// Below this many files per process, starting processes costs more than it saves.
    public static let minimumFilesPerProcess = 32

    public init(executable: String, processes: Int = AvailableCores.count) {
        self.executable = executable
        self.processes = max(1, processes)
    }

    /// One child's share: which files, at which shape.
    public struct Job: Codable, Sendable {
        public var files: [String]
        public var shape: InputShape
        public var grayscale: Bool
        /// nil in jobs of harness binaries before framing: stretch.
        public var framing: Framing?
    }

    /// What a child decodes: every file's pixels (zeros where it failed) and the failures by index.
    public static func decode(_ job: Job) -> SafetensorsFile {
        let size = job.shape.channels * job.shape.height * job.shape.width
        var pixels = [UInt8](repeating: 0, count: job.files.count * size)
        var failures: [Int: DataError] = [:]
        for (i, path) in job.files.enumerated() {
            switch ImageFolder.decodeResult(path, shape: job.shape, grayscale: job.grayscale, framing: job.framing ?? .stretch) {
            case let .success(px): pixels.replaceSubrange((i * size)..<((i + 1) * size), with: px)
            case let .failure(error): failures[i] = error
            }
        }
        let failuresJSON = String(decoding: (try? JSONEncoder().encode(failures)) ?? Data("{}".utf8), as: UTF8.self)
        return SafetensorsFile(tensors: [("pixels", .init(dtype: "U8", shape: [job.files.count, size], bytes: Data(pixels)))],
                               metadata: ["failures": failuresJSON])
    }

    /// Decodes `files` split over the processes; per file, its pixels or why it failed.
    func run(_ files: [String], shape: InputShape, grayscale: Bool, framing: Framing = .stretch) throws -> [Result<[UInt8], DataError>] {
        let n = min(processes, max(1, files.count / Self.minimumFilesPerProcess))
        let scratch = ChildProcess.scratchDirectory("decode", unique: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let share = (files.count + n - 1) / n
        let shares = (0..<n).map { p in min(files.count, p * share)..<min(files.count, (p + 1) * share) }
        // A generous deadline: 10 s per image is far beyond any image a user has.
        func deadline(_ share: Range<Int>) -> Double { 60 + 10 * Double(share.count) }
        let outcomes = OutcomeSlots(count: n)
        let group = DispatchGroup()
        for (p, range) in shares.enumerated() {
            let jobFile = scratch.appendingPathComponent("job-\(p).json")
            try JSONEncoder().encode(Job(files: Array(files[range]), shape: shape, grayscale: grayscale, framing: framing)).write(to: jobFile)
            let resultFile = scratch.appendingPathComponent("result-\(p)")
            group.enter()
            ChildProcess.start(executable, ["decode-images", "--job", jobFile.path, "--result", resultFile.path]
                               + ChildProcess.guardArguments(timeout: deadline(range)),
                               resultFile: resultFile, timeout: deadline(range)) { outcome in
                outcomes.set(p, outcome)
                group.leave()
            }
        }
        group.wait()
        var results: [Result<[UInt8], DataError>] = []
        let size = shape.channels * shape.height * shape.width
        for (p, range) in shares.enumerated() {
            let outcome = outcomes.get(p)!
            let count = range.count
            guard outcome.status == 0, let bytes = outcome.result,
                  let file = try? SafetensorsFile.parse(bytes, path: "result \(p)"), let px = file["pixels"], px.shape == [count, size] else {
                throw DataError.unreadable(path: files[range.lowerBound],
                                           reason: "the process decoding it and \(count - 1) other files failed (\(outcome.failure(timeout: deadline(range))))")
            }
            let failures = file.metadata["failures"].flatMap { try? JSONDecoder().decode([Int: DataError].self, from: Data($0.utf8)) } ?? [:]
            for i in 0..<count {
                if let failure = failures[i] { results.append(.failure(failure)) } else { results.append(.success([UInt8](px.bytes[(i * size)..<((i + 1) * size)]))) }
            }
        }
        return results
    }
}

/// The outcomes of the children, written from their completion handlers.
private final class OutcomeSlots: @unchecked Sendable {
    private var slots: [ChildOutcome?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ outcome: ChildOutcome) { lock.lock(); slots[i] = outcome; lock.unlock() }
    func get(_ i: Int) -> ChildOutcome? { lock.lock(); defer { lock.unlock() }; return slots[i] }
}
