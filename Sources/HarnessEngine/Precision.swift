// The arithmetic of convolutions and matrix products. bf16 lets oneDNN round their inputs to
// bfloat16 and multiply in hardware that does so natively (AVX512_BF16, AMX), accumulating in
// fp32: weights, activations, gradients, the loss and the optimiser stay fp32 (oneDNN's
// floating-point math mode, which changes how kernels compute and never what they store). Where
// the processor lacks native bf16 the rounding would be emulated, slower than fp32, so it is
// refused rather than chosen.
import CDNNL

public enum Precision: String, CaseIterable, Codable, Sendable {
    case fp32, bf16

    /// Whether the kernels oneDNN runs on this processor compute bf16 products natively.
    public static var nativeBF16: Bool {
        let isa = dnnl_get_effective_cpu_isa().rawValue, bf16 = dnnl_cpu_isa_avx512_core_bf16.rawValue
        return isa & bf16 == bf16
    }

    /// Checks that this processor can compute in this precision natively.
    public func checkSupported() throws(EngineError) {
        guard self == .bf16, !Self.nativeBF16 else { return }
        throw .unsupportedPrecision("bf16 needs native bf16 arithmetic (AVX512_BF16 or AMX), which oneDNN does not find on this processor, "
                                    + "\(EngineInfo.kernelProcessor): emulated bf16 would be slower than fp32. help: use --precision fp32")
    }

    /// Every kernel built from now on computes in this precision (process-wide, as oneDNN's
    /// default math mode is); kernels already built keep theirs.
    public func apply() throws(EngineError) {
        try checkSupported()
        dnnlCheck(dnnl_set_default_fpmath_mode(self == .bf16 ? dnnl_fpmath_mode_bf16 : dnnl_fpmath_mode_strict), "dnnl_set_default_fpmath_mode")
    }

    /// The precision kernels built now compute in.
    public static var current: Precision {
        var mode = dnnl_fpmath_mode_strict
        dnnlCheck(dnnl_get_default_fpmath_mode(&mode), "dnnl_get_default_fpmath_mode")
        return mode == dnnl_fpmath_mode_bf16 ? .bf16 : .fp32
    }
}
