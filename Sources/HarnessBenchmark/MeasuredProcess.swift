// Runs a command to completion and measures it from outside: wall time and the peak memory of
// its whole process tree. Standard output is captured (the commands report JSON there);
// standard error goes to a log file, whose tail explains a failure.
import Foundation
import HarnessEngine

public struct MeasuredRun: Sendable {
    public var seconds: Double
    public var peakResidentBytes: Int
    public var status: Int32
    public var output: String
    public var log: String
}

public enum MeasuredProcess {
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           directory: String? = nil, log: URL) throws -> MeasuredRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let stdout = Pipe()
        process.standardOutput = stdout
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        defer { try? logHandle.close() }
        process.standardError = logHandle
        let start = StepProfile.now()
        try process.run()
        let memory = ProcessTreeMemory(root: process.processIdentifier)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let seconds = StepProfile.now() - start
        let peak = memory.stop()
        return MeasuredRun(seconds: seconds, peakResidentBytes: peak, status: process.terminationStatus,
                           output: String(decoding: output, as: UTF8.self),
                           log: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
