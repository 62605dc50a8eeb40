// What a cell's training curve says about its budget: the SGD steps and epochs it took (every
// training run of the strategy, lp-ft's probe included) and whether its last run may be
// under-trained. Two signs, either enough (calibrated on the main job's strategies at 10 to
// 1,000 steps: docs/guide.md, "Training budgets"):
// - it barely learned: its final training loss is above half the loss of guessing uniformly,
//   ln(classes) (10-step runs on a 20-per-class target ended at 1.0-1.6 nats of ln 5 = 1.61);
// - its loss was still clearly falling at the end while it had not yet fit its training images:
//   the mean loss of the run's last tenth of epochs is more than 10% and 0.02 nats below that
//   of the tenth ending three quarters of the way through, and its last epoch's training
//   accuracy is below 99% (100-step fine-tuning fell 0.34 -> 0.28 there at 93% training
//   accuracy and gained 2.5 points from 300 steps; scratch at 300 steps, 99.5% right with its
//   loss sliding from 0.07 to 0.015, gained nothing from 1,000). An annealing schedule
//   (onecycle, cosine) flattens a converged run's end.
// Runs of fewer than 4 epochs are judged on the first sign only.
import Foundation

public enum TrainingCurve {
    public static let relativeDrop = 0.10
    public static let absoluteDrop = 0.02
    /// A last epoch's training accuracy at or above this: the run fits its training images.
    public static let fitted = 0.99

    /// The records of each training run, in order (a run's epochs count from 1).
    public static func runs(_ curve: [EpochRecord]) -> [[EpochRecord]] {
        var runs: [[EpochRecord]] = []
        for r in curve {
            if r.epoch == 1 || runs.isEmpty { runs.append([]) }
            runs[runs.count - 1].append(r)
        }
        return runs
    }

    /// SGD steps over every run (nil when a record predates step counts).
    public static func steps(_ curve: [EpochRecord]) -> Int? {
        let steps = curve.map(\.steps)
        return steps.contains(nil) ? nil : steps.reduce(0) { $0 + $1! }
    }

    /// Why the last run may be under-trained, or nil when neither sign shows.
    public static func underTrained(_ curve: [EpochRecord], classes: Int) -> String? {
        guard let run = runs(curve).last, let final = run.last?.loss, final.isFinite else { return nil }
        let guessing = log(Double(max(classes, 2)))
        if final > guessing / 2 {
            return String(format: "training loss ended at %.3f, above half of %.3f (guessing among %d classes)", final, guessing, classes)
        }
        guard run.count >= 4, run.last!.trainAccuracy < fitted else { return nil }
        let n = run.count, width = max(1, n / 10)
        let end = Int((Double(n) * 0.75).rounded())
        func mean(_ r: ArraySlice<EpochRecord>) -> Double { r.map(\.loss).reduce(0, +) / Double(r.count) }
        let earlier = mean(run[max(0, end - width)..<end]), last = mean(run[(n - width)...])
        guard earlier.isFinite, last.isFinite else { return nil }
        let drop = earlier - last
        guard drop > absoluteDrop, drop > relativeDrop * earlier else { return nil }
        return String(format: "training loss still falling, %.3f -> %.3f over the last quarter", earlier, last)
    }
}
