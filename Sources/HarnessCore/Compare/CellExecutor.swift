// How cells run: the one interface a scale-out launcher (a cluster, a queue) implements, and the
// local implementation, which runs each cell in a worker process of the harness itself so that
// a strategy that crashes, hangs or runs out of memory becomes a failed row, not a dead comparison.
import Foundation

public protocol CellExecutor {
    /// Runs every cell, reporting each start and each result as it happens (one call at a time).
    func run(_ cells: [Cell], started: @escaping @Sendable (Cell) -> Void, finished: @escaping @Sendable (Cell, CellResult) -> Void)
}

public final class LocalProcessExecutor: CellExecutor, Sendable {
    /// The harness binary; each worker is `harness worker --cell FILE`.
    let executable: String
    let jobs: Int
    /// Seconds before a cell's worker is killed.
    let timeout: Double
    /// Passed to every worker (plugin search path).
    let workerArguments: [String]

    public init(executable: String, jobs: Int, timeout: Double, workerArguments: [String] = []) {
        self.executable = executable
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.workerArguments = workerArguments
    }

    public func run(_ cells: [Cell], started: @escaping @Sendable (Cell) -> Void, finished: @escaping @Sendable (Cell, CellResult) -> Void) {
        let slots = DispatchSemaphore(value: jobs)
        let group = DispatchGroup()
        let reporting = DispatchQueue(label: "harness.cells.report")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("harness-cells-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        for (index, cell) in cells.enumerated() {
            slots.wait()
            group.enter()
            reporting.sync { started(cell) }
            let file = scratch.appendingPathComponent("cell-\(index).json")
            launch(cell, file: file) { result in
                reporting.async {
                    finished(cell, result)
                    slots.signal()
                    group.leave()
                }
            }
        }
        group.wait()
    }

    /// Starts one worker and calls `done` exactly once with its result.
    private func launch(_ cell: Cell, file: URL, done: @escaping @Sendable (CellResult) -> Void) {
        let start = Date()
        @Sendable func failed(_ why: String) -> CellResult { .failure(cell.key, why, seconds: Date().timeIntervalSince(start)) }
        do {
            try HarnessJSON.encoder.encode(cell).write(to: file)
        } catch {
            return done(failed("cannot write the cell for its worker: \(error)"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["worker", "--cell", file.path] + workerArguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        // Swift's crash backtracer can take seconds per crash; a crashed cell needs only its signal.
        var environment = ProcessInfo.processInfo.environment
        if environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "enable=no" }
        process.environment = environment
        // Drain both pipes as data arrives, so a chatty worker never blocks on a full pipe.
        let output = OutputBuffer(), errors = OutputBuffer()
        out.fileHandleForReading.readabilityHandler = { output.append($0.availableData) }
        err.fileHandleForReading.readabilityHandler = { errors.append($0.availableData) }
        let timedOut = Flag()
        process.terminationHandler = { p in
            out.fileHandleForReading.readabilityHandler = nil
            err.fileHandleForReading.readabilityHandler = nil
            output.append(out.fileHandleForReading.readDataToEndOfFile())
            errors.append(err.fileHandleForReading.readDataToEndOfFile())
            let tail = errors.lastLines(3)
            if timedOut.isSet {
                return done(failed("timed out after \(Int(self.timeout))s (hung?); killed"))
            }
            if p.terminationReason == .uncaughtSignal {
                let name = strsignal(p.terminationStatus).map { String(cString: $0) } ?? "signal"
                return done(failed("crashed: signal \(p.terminationStatus) (\(name))" + (tail.isEmpty ? "" : ": \(tail)")))
            }
            if let line = output.lastLines(1).data(using: .utf8), var result = try? HarnessJSON.decoder.decode(CellResult.self, from: line) {
                result.key = cell.key
                return done(result)
            }
            done(failed("worker exited with status \(p.terminationStatus) without a result" + (tail.isEmpty ? "" : ": \(tail)")))
        }
        do {
            try process.run()
        } catch {
            return done(failed("cannot start a worker (\(executable)): \(error)"))
        }
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            guard process.isRunning else { return }
            timedOut.set()
            kill(pid, SIGKILL)
        }
    }
}

/// Bytes from a pipe, appended from one thread and read from another.
private final class OutputBuffer: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()

    func append(_ more: Data) {
        lock.lock()
        data.append(more)
        lock.unlock()
    }

    func lastLines(_ n: Int) -> String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(n).joined(separator: " | ")
    }
}

private final class Flag: @unchecked Sendable {
    private var value = false
    private let lock = NSLock()
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
