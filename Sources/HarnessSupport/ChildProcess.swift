// A harness subprocess (a cell's worker, the plugin scanner) that runs plugin code on the host's
// behalf. It reports through a result file it writes at the end, never through standard output:
// the plugin shares stdout and stderr, which become the child's log instead. A child that hangs
// is killed at its timeout; one that crashes is described by its signal and the tail of its log.
// The child side guards itself too: it dies with its parent and ends at its own deadline, so a
// plugin stuck in a loop never outlives the command that started it. And a child owns what its
// plugin starts: a forked child or a double-forked daemon is killed with it (ProcessTree), at
// the timeout, at the child's end and at the coordinator's death.
import CSystem
import Foundation

public struct ChildOutcome: Sendable {
    public var status: Int32
    /// The signal that ended the child, if one did.
    public var signal: Int32?
    public var timedOut: Bool
    /// What the child wrote to its result file; nil if it wrote none.
    public var result: Data?
    /// The child's standard output and error (the plugin's prints among them), capped.
    public var log: String
    public var seconds: Double

    /// Why the child gave no result: "crashed: signal 11 (Segmentation fault): <log>" and so on.
    public func failure(timeout: Double) -> String {
        let tail = log.split(separator: "\n").suffix(3).joined(separator: " | ")
        let context = tail.isEmpty ? "" : ": \(tail)"
        if timedOut || signal == SIGALRM { return "timed out after \(Int(timeout))s (hung?); killed" }
        let memoryHelp = "help: run fewer cells at once (--jobs 1), or lower --batch or the image size"
        // SIGKILL the host did not send is, on Linux, almost always the out-of-memory killer.
        if signal == SIGKILL {
            return "killed by signal 9 (SIGKILL), which the host did not send: most likely the kernel's out-of-memory killer "
                + "(dmesg says so) ended it because the machine ran out of memory\(context). \(memoryHelp)"
        }
        if Self.saysOutOfMemory(log) { return "ran out of memory (an allocation failed)\(context). \(memoryHelp)" }
        if let signal {
            let name = strsignal(signal).map { String(cString: $0) } ?? "signal"
            return "crashed: signal \(signal) (\(name))\(context)"
        }
        return "exited with status \(status) without a result\(context)"
    }

    /// What runtimes print when an allocation fails (glibc, Swift, C++, oneDNN).
    static func saysOutOfMemory(_ log: String) -> Bool {
        let text = log.lowercased()
        return ["out of memory", "cannot allocate memory", "std::bad_alloc", "could not allocate", "failed to allocate", "dnnl_out_of_memory"]
            .contains { text.contains($0) }
    }
}

public enum ChildProcess {
    /// The most of a child's output kept: its first and last halves, with what was cut between
    /// them counted. A plugin that prints hundreds of megabytes costs memory of this size and no
    /// disk at all, so it cannot starve another cell of scratch space.
    public static let logLimit = 16_384

    /// Starts `executable arguments` and calls `done` once with the outcome. The result file is
    /// the child's to write; it is read and removed when the child ends. The child's standard
    /// output and error come back through a pipe, kept head and tail (`logLimit`).
    public static func start(_ executable: String, _ arguments: [String], resultFile: URL, timeout: Double,
                             done: @escaping @Sendable (ChildOutcome) -> Void) {
        let start = Date()
        try? FileManager.default.removeItem(at: resultFile)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            return done(ChildOutcome(status: -1, signal: nil, timedOut: false, result: nil, log: "cannot make a pipe: \(String(cString: strerror(errno)))", seconds: 0))
        }
        let writeEnd = FileHandle(fileDescriptor: fds[1], closeOnDealloc: false)
        let log = LogCapture(fd: fds[0], limit: logLimit)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = writeEnd
        process.standardError = writeEnd
        process.standardInput = FileHandle.nullDevice
        // Swift's crash backtracer can take seconds per crash; a crashed child needs only its signal.
        var environment = ProcessInfo.processInfo.environment
        if environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "enable=no" }
        process.environment = environment
        let timedOut = Flag()
        process.terminationHandler = { p in
            // The child leads a process group of its own (guardChild): whatever it started and
            // left behind in that group goes with it, even if it crashed before it could clean up.
            kill(-p.processIdentifier, SIGKILL)
            let text = log.finish(within: 2)
            let result = try? Data(contentsOf: resultFile)
            try? FileManager.default.removeItem(at: resultFile)
            done(ChildOutcome(status: p.terminationStatus, signal: p.terminationReason == .uncaughtSignal ? p.terminationStatus : nil,
                              timedOut: timedOut.isSet, result: result, log: text, seconds: Date().timeIntervalSince(start)))
        }
        do {
            try process.run()
            close(fds[1])  // the child has its copy; EOF comes when the child's tree closes it
        } catch {
            close(fds[1])
            _ = log.finish(within: 0)
            return done(ChildOutcome(status: -1, signal: nil, timedOut: false, result: nil,
                                     log: "cannot start \(executable): \(error)", seconds: 0))
        }
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            guard process.isRunning else { return }
            timedOut.set()
            ProcessTree.kill(pid, includingRoot: true)
        }
    }

    /// `start`, waiting for the outcome.
    public static func run(_ executable: String, _ arguments: [String], resultFile: URL, timeout: Double) -> ChildOutcome {
        let box = OutcomeBox()
        let finished = DispatchSemaphore(value: 0)
        start(executable, arguments, resultFile: resultFile, timeout: timeout) { outcome in
            box.value = outcome
            finished.signal()
        }
        finished.wait()
        return box.value!
    }

    /// The arguments that make a child guard itself (see `guardChild`).
    public static func guardArguments(timeout: Double) -> [String] { ["--parent", "\(getpid())", "--deadline", "\(timeout)"] }

    /// Called first in a child: die with the parent (even one killed with -9) and end at the
    /// deadline, whatever the plugin is doing, taking along every process the plugin started.
    /// The child leads its own process group and is the reaper of its orphans, so a plugin's
    /// daemon stays in its tree; a watcher thread kills the tree when the parent is gone or the
    /// deadline passes (then ends with SIGALRM, as a timed-out child always has), and the tree
    /// is killed at exit too. Returns false if the parent is already gone.
    public static func guardChild(parent: Int32?, deadline: Double?) -> Bool {
        _ = setpgid(0, 0)
        _ = harness_become_subreaper()
        atexit { ProcessTree.kill(getpid(), includingRoot: false) }
        if let parent, getppid() != parent { return false }
        let end = deadline.map { Date().addingTimeInterval(min(max($0, 1), 1e9)) }
        // A backstop, should the watcher never run: SIGALRM's default action ends the process.
        if let deadline { alarm(UInt32(min(max(deadline.rounded(.up) + 5, 1), Double(UInt32.max)))) }
        guard parent != nil || end != nil else { return true }
        Thread.detachNewThread {
            var tries = 0
            while true {
                let orphaned = parent.map { getppid() != $0 } ?? false, late = end.map { Date() >= $0 } ?? false
                if orphaned || late {
                    ProcessTree.kill(getpid(), includingRoot: false)
                    // SIGKILL if a plugin ignores SIGALRM.
                    kill(getpid(), orphaned || tries > 0 ? SIGKILL : SIGALRM)
                    tries += 1
                }
                usleep(20_000)
            }
        }
        return true
    }

    /// Scratch folders are named harness-<kind>-<parent pid>[-…], so a later process can tell
    /// which belong to a process that no longer runs.
    public static func scratchDirectory(_ kind: String, unique: Bool) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("harness-\(kind)-\(getpid())" + (unique ? "-\(UUID().uuidString)" : ""))
    }

    /// Removes the scratch folders of processes that are gone (killed with -9, say).
    public static func removeStaleScratch() {
        let temporary = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] {
            let parts = name.split(separator: "-")
            guard parts.count >= 3, parts[0] == "harness", ["cells", "scan"].contains(parts[1]), let pid = Int32(parts[2]), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name)) }
        }
    }

    /// Writes a child's result where its parent will look: to a temporary name first, then
    /// renamed, so the parent never reads half a result.
    public static func writeResult(_ data: Data, to path: String) throws {
        let temporary = path + ".partial"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }
}

private final class OutcomeBox: @unchecked Sendable {
    var value: ChildOutcome?
}

/// A child's output read from its pipe on a thread of its own: the first half of the limit as
/// it came, then a rolling window of the last half, and a count of what fell between.
final class LogCapture: @unchecked Sendable {
    private let half: Int
    private let lock = NSLock()
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private var cut = 0
    private let ended = DispatchSemaphore(value: 0)

    init(fd: Int32, limit: Int) {
        half = limit / 2
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                append(buffer[0..<n])
            }
            // Closed here, never by `finish`: closing under a blocked read would let the number
            // be reused and this loop read someone else's file.
            close(fd)
            ended.signal()
        }
    }

    private func append(_ bytes: ArraySlice<UInt8>) {
        lock.lock()
        defer { lock.unlock() }
        var rest = bytes
        if head.count < half {
            let take = min(half - head.count, rest.count)
            head += rest.prefix(take)
            rest = rest.dropFirst(take)
        }
        tail += rest
        if tail.count > half {
            cut += tail.count - half
            tail.removeFirst(tail.count - half)
        }
    }

    /// The output, once the pipe ends (or as far as it came after `seconds`, should something
    /// the host could not kill still hold the pipe open; the reader then ends with it).
    func finish(within seconds: Double) -> String {
        _ = ended.wait(timeout: .now() + seconds)
        lock.lock()
        defer { lock.unlock() }
        let middle = cut > 0 ? "\n[... \(cut) bytes of output cut ...]\n" : ""
        return String(decoding: head, as: UTF8.self) + middle + String(decoding: tail, as: UTF8.self)
    }
}

final class Flag: @unchecked Sendable {
    private var value = false
    private let lock = NSLock()
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
