// The machine's measured single-precision peak: the best of several square GEMMs on oneDNN's
// sgemm with the current thread count. Layers are judged as a fraction of it.
import Foundation
import HarnessEngine

public enum GEMMPeak {
    /// Best GFLOP/s over `repeats` runs of each size (a peak, so the best, not the median:
    /// interference only ever slows a run down).
    public static func measure(sizes: [Int] = [1024, 2048, 3072], repeats: Int = 4) -> Double {
        var best = 0.0
        for size in sizes {
            let count = size * size
            let a = UnsafeMutablePointer<Float>.allocate(capacity: count)
            let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
            let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { a.deallocate(); b.deallocate(); c.deallocate() }
            for i in 0..<count { a[i] = Float(i % 7) * 0.25; b[i] = Float(i % 5) * 0.5 }
            dnnlMatrixMultiply(a, b, c, m: size, n: size, k: size)  // warm up: packing buffers, threads
            for _ in 0..<repeats {
                let start = StepProfile.now()
                dnnlMatrixMultiply(a, b, c, m: size, n: size, k: size)
                let seconds = StepProfile.now() - start
                best = max(best, 2 * Double(size) * Double(size) * Double(size) / seconds / 1e9)
            }
        }
        return best
    }
}
