// Progress on standard error: a live bar on a terminal, one line per epoch otherwise (logs, CI).
import Foundation
import HarnessCore

final class ProgressDisplay: @unchecked Sendable {  // called from one thread at a time
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastDraw = Date.distantPast
    private var lastEpochPrinted = 0

    func update(_ p: TrainingProgress) {
        let done = p.step == p.stepsPerEpoch
        if isTerminal {
            guard done || Date().timeIntervalSince(lastDraw) > 0.2 else { return }
            lastDraw = Date()
            let fraction = Double((p.epoch - 1) * p.stepsPerEpoch + p.step) / Double(p.epochs * p.stepsPerEpoch)
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let eta = fraction > 0 ? p.elapsed * (1 - fraction) / fraction : 0
            let line = String(format: "\repoch %d/%d [%@] %3.0f%%  loss %.4f  acc %5.1f%%  %.0f img/s  ETA %@ ",
                              p.epoch, p.epochs, bar, fraction * 100, p.loss, p.accuracy * 100, p.imagesPerSecond, duration(eta))
            FileHandle.standardError.write(Data(line.utf8))
            if done && p.epoch == p.epochs { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if done && p.epoch > lastEpochPrinted {
            lastEpochPrinted = p.epoch
            note(String(format: "epoch %d/%d  loss %.4f  train acc %.2f%%  %.0f img/s  elapsed %@",
                        p.epoch, p.epochs, p.loss, p.accuracy * 100, p.imagesPerSecond, duration(p.elapsed)))
        }
    }
}

/// A line of commentary on standard error (standard output is kept for results).
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
}
