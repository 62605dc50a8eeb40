// `harness bench` as text: the machine, the throughput race, the targets of issue 6 (met or
// missed, and by how much), the per-layer breakdown and the whole-comparison race.
import Foundation
import HarnessSupport
import HarnessData
import HarnessBenchmark

public struct BenchReport {
    public let result: BenchResult

    public init(_ result: BenchResult) { self.result = result }

    /// A target of the performance issue, checked against this run's figures.
    public struct Target: Sendable {
        public var what: String
        public var measured: Double
        public var goal: Double
        /// "x" for ratios, "%" for fractions of the GEMM peak, " GiB" for memory (lower is better).
        public var unit: String
        public var lowerIsBetter = false
        public var met: Bool { lowerIsBetter ? measured <= goal : measured >= goal }
    }

    public var targets: [Target] {
        var out: [Target] = []
        let peak = result.gemmPeakGFLOPS
        for c in result.cases {
            if c.training {
                out.append(Target(what: "\(c.name): harness / torch NCHW", measured: c.versusNCHW, goal: 1.5, unit: "x"))
                out.append(Target(what: "\(c.name): harness / torch channels_last", measured: c.versusChannelsLast, goal: 1.1, unit: "x"))
                if peak > 0 { out.append(Target(what: "\(c.name): training GFLOP/s / GEMM peak", measured: result.fractionOfPeak(c) * 100, goal: 70, unit: "%")) }
            } else {
                out.append(Target(what: "\(c.name): harness / best torch", measured: c.versusBest, goal: 1.1, unit: "x"))
            }
        }
        for b in result.breakdowns {
            let peak = result.layerPeak(batch: b.batch)
            guard peak > 0 else { continue }
            for row in b.rows where row.forwardFLOPs > 0 && row.stage.hasPrefix("conv") {
                let phases = [row.forward, row.backwardData, row.backwardWeights].filter { $0 > 0 }
                let worst = phases.compactMap { b.gflops(row, milliseconds: $0) }.min() ?? 0
                out.append(Target(what: "\(row.stage) (batch \(b.batch)): slowest phase / GEMM peak", measured: worst / peak * 100, goal: 70, unit: "%"))
            }
        }
        if let c = result.comparison, !c.harnessSeconds.isEmpty {
            out.append(Target(what: "whole comparison, cold: PyTorch time / harness time", measured: c.speedup, goal: 2, unit: "x"))
            if let warm = c.warmSpeedup {
                out.append(Target(what: "whole comparison, source cached: PyTorch / harness", measured: warm, goal: 2, unit: "x"))
            }
            out.append(Target(what: "whole comparison: harness peak memory", measured: Double(c.harnessPeakBytes) / 1_073_741_824,
                              goal: 1, unit: " GiB", lowerIsBetter: true))
        }
        for b in result.backbones where !b.ratio.isNaN {
            out.append(Target(what: "\(b.name): harness / PyTorch", measured: b.ratio, goal: 1, unit: "x"))
            if let a = b.augmentedRatio { out.append(Target(what: "\(b.name): augmented / plain training", measured: a, goal: 0.9, unit: "x")) }
        }
        if let p = result.photoComparison {
            out.append(Target(what: "photo comparison: harness peak memory / PyTorch's", measured: p.memoryRatio, goal: 1, unit: "x", lowerIsBetter: true))
        }
        if let p = result.frozenPrefixComparison {
            out.append(Target(what: "half-frozen photo comparison, cold: PyTorch time / harness time", measured: p.speedup, goal: 3, unit: "x"))
            out.append(Target(what: "half-frozen photo comparison: harness peak memory / PyTorch's", measured: p.memoryRatio, goal: 1, unit: "x", lowerIsBetter: true))
        }
        if let s = result.scenario {
            out.append(Target(what: "real scenario (\(s.strategies.count) strategies), cold: PyTorch time / harness time", measured: s.speedup, goal: 3, unit: "x"))
            out.append(Target(what: "real scenario: harness peak memory / PyTorch's", measured: s.memoryRatio, goal: 1, unit: "x", lowerIsBetter: true))
        }
        if let m = result.sharedMachine {
            out.append(Target(what: "beside a busy core, \(m.threads) threads: harness / PyTorch", measured: m.busyRatio, goal: 1, unit: "x"))
        }
        if let l = result.loading {
            out.append(Target(what: "image folder, cold: harness / torchvision", measured: l.coldVersusTorchvision, goal: 1, unit: "x"))
            out.append(Target(what: "image folder: harness cached / harness cold", measured: l.cachedVersusCold, goal: 10, unit: "x"))
        }
        return out
    }

    /// The image-loading race alone.
    public static func loadingText(_ l: LoadingRace, threads: Int) -> [String] {
        ["Image-folder loading (\(l.files); \(l.images) images brought to \(l.shape); harness with \(threads) decoding "
            + "processes, torchvision \(l.torchvision) ImageFolder with \(threads) DataLoader workers), images/s: median [min-max] of \(l.harnessCold.values.count) alternating runs"]
            + table(["", "harness cold", "harness from the decoded cache", "torchvision", "cold vs torchvision", "cached vs cold"],
                    [["images/s", spread(l.harnessCold), spread(l.harnessCached), spread(l.torchvisionCold),
                      String(format: "%.2fx", l.coldVersusTorchvision), String(format: "%.1fx", l.cachedVersusCold)]])
    }

    public var text: String {
        var out: [String] = []
        let r = result
        out.append("harness bench: \(r.threads) threads each side on \(r.cores) cores; oneDNN \(r.onednn), PyTorch \(r.torch)")
        out.append(String(format: "GEMM peak (oneDNN sgemm, best of runs): %.1f GFLOP/s; network %@: %.1f MFLOP forward per image, so training cannot exceed %.0f images/s",
                          r.gemmPeakGFLOPS, r.network ?? "standard", r.forwardGFLOPPerImage * 1000, r.gemmPeakGFLOPS / (3 * r.forwardGFLOPPerImage)))
        out.append("")
        out.append("Throughput, images/s: median [min-max] of \(r.cases.first?.harness.values.count ?? 0) alternating runs; ratios are medians of paired runs")
        let rows = r.cases.map { c -> [String] in
            let gflops = r.gflops(imagesPerSecond: c.harness.median, training: c.training)
            return [c.name, Self.spread(c.harness), Self.spread(c.torchNCHW), Self.spread(c.torchChannelsLast),
                    String(format: "%.2fx", c.versusNCHW), String(format: "%.2fx", c.versusChannelsLast),
                    String(format: "%.0f", gflops), Self.spread(c.gemmPeaks), String(format: "%.0f%%", r.fractionOfPeak(c) * 100)]
        }
        out += Self.table(["case", "harness", "torch NCHW", "torch channels_last", "vs NCHW", "vs channels_last",
                           "harness GFLOP/s", "GEMM peak beside it", "% of peak (paired)"], rows)

        for b in r.breakdowns {
            out.append("")
            out.append(String(format: "Where a training step goes (batch %d; ms per step, medians over the runs; %.1f ms per step wall; %% of a %.0f GFLOP/s GEMM peak):",
                              b.batch, b.wallPerStep, r.layerPeak(batch: b.batch)))
            let peak = r.layerPeak(batch: b.batch)
            func cell(_ row: Breakdown.Row, _ ms: Double) -> String {
                guard ms > 0 else { return "-" }
                guard let g = b.gflops(row, milliseconds: ms), peak > 0 else { return String(format: "%.2f", ms) }
                return String(format: "%.2f (%.0f%%)", ms, g / peak * 100)
            }
            let total = b.rows.reduce(0) { $0 + $1.total }
            var body = b.rows.map { row in
                [row.stage, cell(row, row.forward), cell(row, row.backwardData), cell(row, row.backwardWeights),
                 row.other > 0 ? String(format: "%.2f", row.other) : "-", String(format: "%.2f", row.total),
                 String(format: "%.1f%%", total > 0 ? row.total / total * 100 : 0), row.kernels]
            }
            body.append(["total", "", "", "", "", String(format: "%.2f", total), "100%", ""])
            out += Self.table(["stage", "forward (% peak)", "backward-data (% peak)", "backward-weights (% peak)", "other", "total", "share", "oneDNN kernel"], body)
        }

        if let c = r.comparison, !c.harnessSeconds.isEmpty {
            out.append("")
            out.append("The whole comparison (compare --strategies freeze3,finetune,svm-codes\(c.protocolArguments.isEmpty ? "" : " " + c.protocolArguments)), cold cache:")
            let gib = { (b: Int) in String(format: "%.2f GiB", Double(b) / 1_073_741_824) }
            let seconds = { (xs: [Double]) in xs.map { String(format: "%.1f", $0) }.joined(separator: ", ") + " s" }
            out += Self.table(["side", "wall time", "peak memory (process tree)"],
                              [["harness", seconds(c.harnessSeconds), gib(c.harnessPeakBytes)],
                               ["harness, source network cached", c.harnessWarmSeconds.isEmpty ? "-" : seconds(c.harnessWarmSeconds), ""],
                               ["PyTorch script (channels_last)", seconds(c.torchSeconds), gib(c.torchPeakBytes)]])
            out.append(String(format: "harness is %.2fx faster cold (median of paired runs)", c.speedup)
                       + (c.warmSpeedup.map { String(format: ", %.2fx with its source network cached", $0) } ?? ""))
            let names = Set(c.harnessAccuracy.keys).union(c.torchAccuracy.keys).sorted()
            let seconds1 = { (x: Double?) in x.map { String(format: "%.1f s", $0) } ?? "-" }
            let percent = { (x: Double?) in x.map { String(format: "%.2f%%", $0 * 100) } ?? "-" }
            out.append("Where the time went (last run; a strategy's time is all its seeds, the harness's summed over its cells, which run side by side)")
            out.append("and whether the same protocol gave the same answers (mean accuracy over seeds):")
            out += Self.table(["stage", "harness", "PyTorch", "harness accuracy", "PyTorch accuracy"],
                              [["source network", seconds1(c.harnessStages["source network"]), seconds1(c.torchStages["source network"]), "", ""]]
                              + names.map { n in [n, seconds1(c.harnessStages[n]), seconds1(c.torchStages[n]), percent(c.harnessAccuracy[n]), percent(c.torchAccuracy[n])] })
        }

        if !r.backbones.isEmpty {
            out.append("")
            out.append("Standard backbones, 1000 classes, random images; images/s: median [min-max] of \(r.backbones[0].harness.values.count) alternating runs, "
                       + "each side in a fresh process; PyTorch runs its own modules (torchvision, efficientnet-lite-pytorch) in channels_last; "
                       + "peak memory is the largest of any run's process tree")
            let gib = { (b: Int) in String(format: "%.2f GiB", Double(b) / 1_073_741_824) }
            out += Self.table(["case", "harness", "PyTorch", "harness / PyTorch", "harness peak", "PyTorch peak", "augmented / plain"],
                              r.backbones.map { b in [b.name, Self.spread(b.harness, digits: 1), b.torchFailure == nil ? Self.spread(b.torch, digits: 1) : "failed*",
                                                      b.ratio.isNaN ? "-" : String(format: "%.2fx", b.ratio),
                                                      gib(b.harnessPeakBytes), b.torchFailure == nil ? gib(b.torchPeakBytes) : "-",
                                                      b.augmentedRatio.map { String(format: "%.2fx", $0) } ?? "-"] })
            out.append("  augmented / plain: harness training with random resized crops and flips (--augment crop+flip) over the same without, paired runs")
            out.append("  bf16: the harness's convolutions and matrix products on bfloat16 copies, fp32 weights and sums (--precision bf16); PyTorch under torch.autocast(\"cpu\", bfloat16)")
            for b in r.backbones where b.torchFailure != nil { out.append("  * \(b.name): PyTorch failed: \(b.torchFailure!)") }
        }
        for p in [r.photoComparison, r.frozenPrefixComparison].compactMap({ $0 }) {
            let gib = { (b: Int) in String(format: "%.2f GiB", Double(b) / 1_073_741_824) }
            let percent = { (x: Double?) in x.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
            out.append("")
            out.append("Photo comparison, whole process trees, \(p.harnessSeconds.count) run(s) each, alternating: \(p.description); "
                       + "harness compare (decoded images as bytes, one float copy lent to the strategy) against bench/torch_photo_transfer.py (ImageFolder + DataLoader)")
            out += Self.table(["", "harness", "PyTorch", "harness / PyTorch"],
                              [["peak memory", gib(p.harnessPeakBytes), gib(p.torchPeakBytes), String(format: "%.2fx", p.memoryRatio)],
                               ["seconds (median)", String(format: "%.1f", p.harnessSeconds.sorted()[p.harnessSeconds.count / 2]),
                                String(format: "%.1f", p.torchSeconds.sorted()[p.torchSeconds.count / 2]), String(format: "PyTorch / harness %.2fx", p.speedup)],
                               ["test accuracy", percent(p.harnessAccuracy), percent(p.torchAccuracy), ""]])
        }
        if let s = r.scenario, !s.harnessSeconds.isEmpty {
            let gib = { (b: Int) in String(format: "%.2f GiB", Double(b) / 1_073_741_824) }
            let seconds = { (xs: [Double]) in xs.map { String(format: "%.1f", $0) }.joined(separator: ", ") + " s" }
            let seconds1 = { (x: Double?) in x.map { String(format: "%.1f s", $0) } ?? "-" }
            let percent = { (x: Double?) in x.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
            out.append("")
            out.append("The real scenario, whole and cold (process trees): \(s.description); harness compare (scripts/pretrained-scenario.sh) "
                       + "against bench/torch_scenario.py (the same strategies in PyTorch, frozen layers run every step)")
            out += Self.table(["side", "wall time", "peak memory"],
                              [["harness", seconds(s.harnessSeconds), gib(s.harnessPeakBytes)], ["PyTorch", seconds(s.torchSeconds), gib(s.torchPeakBytes)]])
            out.append(String(format: "PyTorch / harness %.2fx (median of paired runs); memory harness / PyTorch %.2fx", s.speedup, s.memoryRatio))
            out.append("Per strategy, last run (all seeds; the harness's cells run two at a time, so their times overlap) and mean test accuracy over seeds:")
            out += Self.table(["strategy", "harness", "PyTorch", "harness accuracy", "PyTorch accuracy"],
                              s.strategies.map { n in [n, seconds1(s.harnessStrategySeconds[n]), seconds1(s.torchStrategySeconds[n]),
                                                       percent(s.harnessAccuracy[n]), percent(s.torchAccuracy[n])] })
        }
        if let m = r.sharedMachine {
            out.append("")
            out.append(String(format: "A shared machine: %@ at %d threads, each side in a fresh process, alone and beside `yes > /dev/null` (%.1f cores busy); "
                              + "images/s, median [min-max] of %d alternating runs", m.description, m.threads, m.busyCores, m.aloneHarness.values.count))
            out += Self.table(["", "harness", "PyTorch", "harness / PyTorch"],
                              [["alone, \(m.threads) threads", Self.spread(m.aloneHarness, digits: 1), Self.spread(m.aloneTorch, digits: 1), String(format: "%.2fx", m.aloneRatio)],
                               ["beside a busy core, \(m.threads) threads\(m.passive ? " (harness waits passively)" : "")", Self.spread(m.busyHarness, digits: 1),
                                Self.spread(m.busyTorch, digits: 1), String(format: "%.2fx", m.busyRatio)],
                               ["beside a busy core, harness's default (\(m.defaultThreads) thread\(m.defaultThreads == 1 ? "" : "s")), PyTorch \(m.threads)",
                                Self.spread(m.busyHarnessDefault, digits: 1), Self.spread(m.busyTorch, digits: 1), String(format: "%.2fx", m.busyDefaultRatio)]])
        }
        if let l = r.loading {
            out.append("")
            out += Self.loadingText(l, threads: r.threads)
        }
        out.append("")
        out.append("Targets (issues 6, 11, 23 and 27):")
        out += Self.table(["target", "measured", "goal", ""], targets.map { t in
            let fmt = t.unit == "%" ? "%.0f%%" : (t.unit == "x" ? "%.2fx" : "%.2f" + t.unit)
            let verdict: String
            if t.met { verdict = "met" } else {
                let gap = t.lowerIsBetter ? t.measured / t.goal - 1 : 1 - t.measured / t.goal
                verdict = String(format: "missed by %.0f%%", gap * 100)
            }
            return [t.what, String(format: fmt, t.measured), (t.lowerIsBetter ? "<= " : ">= ") + String(format: fmt, t.goal), verdict]
        })
        return out.joined(separator: "\n")
    }

    static func spread(_ m: RepeatedMeasurement, digits: Int = 0) -> String {
        let f = "%.\(digits)f"
        return String(format: "\(f) [\(f)-\(f)]", m.median, m.minimum, m.maximum)
    }

    /// Indented, the first column left-aligned and the figures right-aligned.
    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        TextTable.lines(header, rows, leftAligned: [0]).map { "  " + $0 }
    }
}
