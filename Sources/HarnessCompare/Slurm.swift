// Slurm's own clients, run as processes: sbatch to submit, squeue for what is queued or running,
// scontrol for how a finished task ended (kept MinJobAge seconds by slurmctld, so no accounting
// database is needed), scancel. Each error names the command and what it printed.
import Foundation

public enum Slurm {
    /// Runs a Slurm client and returns its standard output; throws with its standard error.
    static func client(_ name: String, _ arguments: [String]) throws -> String {
        let process = Process()
        guard let path = executable(name) else {
            throw ComparisonError("\(name) is not installed: --launcher slurm needs Slurm's clients (Debian: apt-get install slurm-client). "
                                  + "help: scripts/slurm-single-node.sh start DIR sets up a one-machine cluster to try it")
        }
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ComparisonError("\(name) \(arguments.joined(separator: " ")) failed: "
                                  + String(decoding: error, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func executable(_ name: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        return path.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Submits a batch script; returns the job id.
    static func submit(script: String, options: [String]) throws -> String {
        let out = try client("sbatch", ["--parsable"] + options + [script])
        guard let id = out.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }), !id.isEmpty else {
            throw ComparisonError("sbatch printed no job id: '\(out)'")
        }
        return id
    }

    /// The state of every task of these jobs still known to squeue ("12_3" -> "RUNNING").
    static func queued(_ jobs: [String]) throws -> [String: String] {
        guard !jobs.isEmpty else { return [:] }
        let out = try client("squeue", ["-h", "-r", "-j", jobs.joined(separator: ","), "-o", "%i %T"])
        var states: [String: String] = [:]
        for line in out.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { states[String(parts[0])] = String(parts[1]) }
        }
        return states
    }

    /// How a job or array task that left the queue ended ("CANCELLED, exit code 0:15"), if
    /// slurmctld still knows it.
    static func ending(of task: String) -> String? {
        guard let out = try? client("scontrol", ["-o", "show", "job", task]) else { return nil }
        func field(_ name: String) -> String? {
            out.split(separator: " ").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
        }
        guard let state = field("JobState") else { return nil }
        let reason = field("Reason").flatMap { $0 == "None" ? nil : $0 }
        return state + (field("ExitCode").map { ", exit code \($0)" } ?? "") + (reason.map { ", \($0)" } ?? "")
    }

    /// "task 12_3, which ended (CANCELLED, exit code 0:15) before the cell finished".
    static func endedEarly(_ task: String) -> String {
        "task \(task), which ended (\(ending(of: task) ?? "no longer known to Slurm")) before the cell finished"
    }

    public static func cancel(_ jobs: [String]) throws {
        guard !jobs.isEmpty else { return }
        _ = try client("scancel", jobs)
    }
}

/// What one submission asked Slurm for: a job training the source networks (if any were
/// missing), the cells as one job array (each task a few cells) and a collect job.
public struct SlurmSubmission: Codable, Sendable {
    public var number: Int
    public var sourceJob: String?
    public var arrayJob: String
    public var collectJob: String?
    /// Each array task's cells, by task index.
    public var tasks: [[Cell]]
    public var submitted: Date

    /// The array task that runs `key`, as squeue names it ("12_3").
    public func task(of key: String) -> String? {
        tasks.firstIndex { $0.contains { $0.key == key } }.map { "\(arrayJob)_\($0)" }
    }
}
