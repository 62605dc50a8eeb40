// The weight gradient of a convolution over few input channels (the first layer: one channel
// for grayscale images) as one GEMM on an im2col matrix, instead of oneDNN's direct kernel.
//
// Why: oneDNN's direct backward-weights kernels vectorise over blocks of 8 input channels; with
// one channel they run at about a tenth of the GEMM peak (measured by `harness bench`: conv1 was
// 7-11% while conv2-5 ran at 60-100%). Lowered, the whole batch is a single long GEMM
//   dW^T (C*k*k x out) = cols^T (C*k*k x N*H*W) . dY (N*H*W x out)
// (this orientation, with neither operand transposed, ran 1.2-1.7x faster in oneDNN's sgemm
// than dW = dY^T . cols).
// on oneDNN's sgemm, which runs near the peak on that shape. The bias gradient is the same
// reduction against a vector of ones. (Measured at batch 256: 18 ms direct, 7 ms lowered, of
// which im2col 2-3 ms, the channels-last copy of dY 1.4 ms and the GEMM 2.2 ms.)
import CDNNL
import Dispatch

final class LoweredWeightGradient {
    /// Lowering pays off while the direct kernel cannot fill a vector with input channels.
    static func applies(inputChannels: Int, inputIsPlain: Bool) -> Bool { inputIsPlain && inputChannels < 8 }

    private let input: DNNLMemory
    private let outputGradient: Relayout
    private let weightGradient: UnsafeMutablePointer<Float>
    /// nil for a convolution without a bias.
    private let biasGradient: UnsafeMutablePointer<Float>?
    /// cols^T: one row per (channel, kernel row, kernel column), one column per output pixel.
    private let columns: UnsafeMutablePointer<Float>
    private let ones: UnsafeMutablePointer<Float>
    /// dW^T as the GEMM writes it, transposed into the plain (out, C*k*k) gradient afterwards.
    private let transposed: UnsafeMutablePointer<Float>
    private let n, c, h, w, outputs, outH, outW, kernel, stride, padding: Int

    init(input: DNNLMemory, outputGradient: DNNLMemory, weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?,
         kernel: Int, stride: Int, padding: Int) {
        let d = input.desc.shape, o = outputGradient.desc.shape
        (n, c, h, w) = (d[0], d[1], d[2], d[3])
        (outputs, outH, outW) = (o[1], o[2], o[3])
        (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
        self.input = input
        // dY as (N*H*W) x out, row-major: channels last.
        self.outputGradient = Relayout(from: outputGradient, as: .f32(o, dnnl_nhwc))
        self.weightGradient = weightGradient
        self.biasGradient = biasGradient
        let pixels = n * outH * outW
        columns = .allocate(capacity: c * kernel * kernel * pixels)
        ones = .allocate(capacity: pixels)
        ones.initialize(repeating: 1, count: pixels)
        transposed = .allocate(capacity: c * kernel * kernel * outputs)
    }

    deinit {
        columns.deallocate()
        ones.deallocate()
        transposed.deallocate()
    }

    func run() {
        fillColumns()
        outputGradient.run()
        let pixels = n * outH * outW, patch = c * kernel * kernel
        let dY = UnsafePointer(outputGradient.target.floats)
        dnnlMatrixMultiply(columns, dY, transposed, m: patch, n: outputs, k: pixels)
        for o in 0..<outputs {
            for j in 0..<patch { weightGradient[o * patch + j] = transposed[j * outputs + o] }
        }
        if let biasGradient { dnnlMatrixMultiply(ones, dY, biasGradient, m: 1, n: outputs, k: pixels) }
    }

    /// im2col, transposed: row (ci, kh, kw) holds input pixel (y*s + kh - p, x*s + kw - p) of
    /// channel ci for every output pixel (image, y, x), zero where that falls in the padding.
    private func fillColumns() {
        // Each iteration writes its own row of cols and only reads x.
        nonisolated(unsafe) let x = UnsafePointer(input.floats), cols = columns
        let (n, c, h, w, outH, outW, k, s, p) = (n, c, h, w, outH, outW, kernel, stride, padding)
        DispatchQueue.concurrentPerform(iterations: c * k * k) { r in
            let ci = r / (k * k), kh = (r / k) % k, kw = r % k
            let row = cols + r * n * outH * outW
            // Output columns whose input column lies inside the image: lo..<hi.
            let lo = min(outW, max(0, (p - kw + s - 1) / s))
            let hi = max(lo, min(outW, (w - 1 - kw + p) / s + 1))
            for image in 0..<n {
                let plane = x + (image * c + ci) * h * w
                for oy in 0..<outH {
                    let dst = row + (image * outH + oy) * outW
                    let iy = oy * s + kh - p
                    guard iy >= 0, iy < h else { dst.update(repeating: 0, count: outW); continue }
                    let src = plane + iy * w + kw - p
                    if lo > 0 { dst.update(repeating: 0, count: lo) }
                    if s == 1 {
                        dst.advanced(by: lo).update(from: src + lo, count: hi - lo)
                    } else {
                        for ox in lo..<hi { dst[ox] = src[ox * s] }
                    }
                    if hi < outW { dst.advanced(by: hi).update(repeating: 0, count: outW - hi) }
                }
            }
        }
    }
}
