// Where a comparison's numbers came from (issue 28, item 3): the command that ran it, when, the
// harness (version and git commit when built from a checkout), oneDNN and the processor the
// kernels ran on. Recorded in the results database when a comparison starts (so an interrupted
// one is found too), listed by `harness runs` and carried by the JSON export.
import Foundation
import HarnessEngine

public struct Provenance: Codable, Equatable, Sendable {
    public var command: String
    public var startedAt: String
    public var harnessVersion: String
    /// The checkout's commit ("+ changes" when it had uncommitted ones); nil when not built from one.
    public var commit: String?
    public var onednn: String
    /// Model and oneDNN's instruction set, e.g. "AMD EPYC 9R14 (avx512_core_bf16)".
    public var processor: String
    /// The contents of the `--run-file` the options came from, as read when the run started.
    public var runFile: String?

    public static let harnessVersion = "0.1"

    /// This process: its own command line, now, and the checkout at `sourceRoot` (if any).
    public static func current(arguments: [String] = CommandLine.arguments, sourceRoot: String?) -> Provenance {
        Provenance(command: arguments.map(shellQuoted).joined(separator: " "), startedAt: ISO8601DateFormatter().string(from: Date()),
                   harnessVersion: "\(harnessVersion) (engine \(EngineInfo.engineVersion))", commit: sourceRoot.flatMap(commit(in:)),
                   onednn: EngineInfo.oneDNNVersion, processor: EngineInfo.kernelProcessor)
    }

    /// An argument as a shell reads it back: bare when safe, else in single quotes.
    public static func shellQuoted(_ s: String) -> String {
        let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_./=:,+@%"))
        if !s.isEmpty && s.unicodeScalars.allSatisfy(safe.contains) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `git rev-parse HEAD` in `root`, marked when the tree has changes; nil without git or a checkout.
    static func commit(in root: String) -> String? {
        guard FileManager.default.fileExists(atPath: root + "/.git") else { return nil }
        func git(_ arguments: [String]) -> String? {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            p.arguments = ["-C", root] + arguments
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return nil }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : nil
        }
        guard let head = git(["rev-parse", "HEAD"]), !head.isEmpty else { return nil }
        let dirty = git(["status", "--porcelain", "--untracked-files=no"]).map { !$0.isEmpty } ?? false
        return head + (dirty ? " + changes" : "")
    }

    /// One line for footers: "harness 0.1 (engine 2) at 4f6e1a0, oneDNN 2.6.3, AMD EPYC ... (avx512_core), 2026-12-02T13:22:30Z".
    public var summary: String {
        "harness \(harnessVersion)" + (commit.map { " at \(String($0.prefix(12)))\($0.hasSuffix("+ changes") ? " + changes" : "")" } ?? "")
            + ", oneDNN \(onednn), \(processor), started \(startedAt)"
    }

    var export: ExportValue {
        .object([("command", .string(command)), ("started_at", .string(startedAt)), ("harness_version", .string(harnessVersion)),
                 ("commit", .text(commit)), ("onednn", .string(onednn)), ("processor", .string(processor)), ("run_file", .text(runFile))])
    }
}
