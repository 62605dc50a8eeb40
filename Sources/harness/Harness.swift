// The `harness` command: configuration only; each subcommand is its own small type.
import ArgumentParser
import HarnessCore

@main
struct Harness: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harness",
        abstract: "Measure transfer-learning strategies side by side (Yosinski et al. 2014).",
        discussion: """
            The default data set is Fashion-MNIST from Debian's dataset-fashion-mnist package. \
            Networks run on oneDNN; set threads with --threads. Exit status, for every command: \(HarnessExit.table).
            """,
        version: "harness 0.1 (engine \(EngineInfo.engineVersion))",
        subcommands: [Compare.self, TransferCurveCommand.self, LeaderboardCommand.self, Runs.self, Report.self, Telemetry.self, Train.self, Networks.self, Evaluate.self, Import.self, ExportImages.self, DecodeImages.self, Bench.self, BenchBackbone.self, Strategies.self, Cache.self, Version.self, ExportMLflow.self, SDK.self, Collect.self, Status.self, Worker.self, ScanPlugin.self, SlurmTaskCommand.self])
}
