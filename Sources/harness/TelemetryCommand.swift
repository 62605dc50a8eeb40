// `harness telemetry`: how each layer's weights moved in one stored training run.
import ArgumentParser
import Foundation
import HarnessCore

struct Telemetry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how each layer's weights moved during one stored training run.",
        discussion: "Example: harness telemetry --strategy finetune --seed 1 --out results/telemetry")

    @OptionGroup var results: StoredResults

    @Option(help: ArgumentHelp("The configuration whose run to show (e.g. finetune, or \"AnB+ n=3\").", valueName: "name"))
    var strategy: String

    @Option(parsing: .unconditional, help: "Which seed's run (default: the first stored).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Where to write telemetry.svg.", valueName: "dir"))
    var out: String = "results/telemetry"

    func run() throws {
        let stored = try results.open().cells().filter { $0.cell.configuration == strategy && (seed == nil || $0.cell.seed == seed) }
        guard let run = stored.first(where: { $0.result.curve.contains { $0.layers != nil } }) else {
            let known = Set(try results.open().cells().map(\.cell.configuration)).sorted()
            throw CLIError(stored.isEmpty ? "no stored run of '\(strategy)'\(seed.map { " at seed \($0)" } ?? "") (stored: \(known.joined(separator: ", ")))"
                           : "the stored runs of '\(strategy)' trained no network, or predate telemetry")
        }
        let epochs = run.result.curve.filter { $0.layers != nil }
        let layers = epochs.first!.layers!.map(\.layer)
        print("\(strategy), seed \(run.cell.seed): distance of each layer's weights from where training started (||W - W0||)")
        print("epoch " + layers.map { $0.padding(toLength: 9, withPad: " ", startingAt: 0) }.joined(separator: " "))
        for (i, e) in epochs.enumerated() {
            print(String(format: "%5d ", i + 1) + e.layers!.map { String(format: "%9.4f", $0.distanceFromStart) }.joined(separator: " "))
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let path = out + "/telemetry.svg"
        try TelemetryFigure.svg(title: "\(strategy), seed \(run.cell.seed): how each layer moved", epochs: epochs)
            .write(toFile: path, atomically: true, encoding: .utf8)
        note("wrote \(path)")
    }
}
