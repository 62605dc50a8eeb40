// The one place HarnessCore talks to oneDNN's C API (Debian libdnnl-dev 2.6).
//
// oneDNN 3.x removed the `*_desc_init` op descriptors used here; porting means changing this file
// and the `make…Descriptor` calls in the layer files, nothing else.
//
// Unsafe assumptions, written down where they are made:
// - one CPU engine and one in-order stream for the process; CPU execution is synchronous,
//   so a buffer may be read as soon as `execute` returns.
// - every buffer handed to oneDNN is owned by a `DNNLMemory` and outlives the primitives using it.
import CDNNL
import Foundation

/// A failed oneDNN call. These are programming errors (shapes are validated before any kernel
/// is built), so they stop the process with the call and status named.
@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ call: @autoclosure () -> String) {
    if status != dnnl_success {
        fatalError("oneDNN call \(call()) failed with status \(status.rawValue)")
    }
}

/// The process-wide CPU engine and stream.
enum DNNL {
    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        harness_flush_denormals()
        var engine: dnnl_engine_t?
        dnnlCheck(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
        return engine!
    }()

    nonisolated(unsafe) static let stream: dnnl_stream_t = {
        var stream: dnnl_stream_t?
        dnnlCheck(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        return stream!
    }()

    /// The version of the oneDNN library actually loaded (not the header's).
    static var version: String {
        let v = dnnl_version()!.pointee
        return "\(v.major).\(v.minor).\(v.patch)"
    }
}

/// Memory descriptor helpers. A descriptor says shape, type and layout of a tensor.
typealias MemoryDesc = dnnl_memory_desc_t

extension MemoryDesc {
    /// A float32 tensor with a named layout (`dnnl_nchw`, `dnnl_ab`, …) or `dnnl_format_tag_any`
    /// to let a primitive choose.
    static func f32(_ dims: [Int], _ tag: dnnl_format_tag_t, type: dnnl_data_type_t = dnnl_f32) -> MemoryDesc {
        var md = MemoryDesc()
        let d = dims.map { dnnl_dim_t($0) }
        dnnlCheck(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, type, tag),
                  "dnnl_memory_desc_init_by_tag(\(dims))")
        return md
    }

    /// The plain row-major layout for this many dimensions (PyTorch's default layout).
    static func plain(_ dims: [Int]) -> MemoryDesc {
        let tags: [Int: dnnl_format_tag_t] = [1: dnnl_a, 2: dnnl_ab, 3: dnnl_abc, 4: dnnl_abcd, 5: dnnl_abcde]
        return .f32(dims, tags[dims.count]!)
    }

    static func any(_ dims: [Int]) -> MemoryDesc { .f32(dims, dnnl_format_tag_any) }

    /// Any layout, in the type a kernel computes its products in (bf16 under `Precision.bf16`).
    static func anyCompute(_ dims: [Int], _ type: dnnl_data_type_t) -> MemoryDesc { .f32(dims, dnnl_format_tag_any, type: type) }

    var byteCount: Int {
        var md = self
        return dnnl_memory_desc_get_size(&md)
    }

    /// The dimensions, e.g. [N, C, H, W].
    var shape: [Int] {
        withUnsafeBytes(of: dims) { raw in
            Array(raw.bindMemory(to: dnnl_dim_t.self).prefix(Int(ndims)).map { Int($0) })
        }
    }

    func sameLayout(as other: MemoryDesc) -> Bool {
        var a = self, b = other
        return dnnl_memory_desc_equal(&a, &b) != 0
    }
}

/// A buffer oneDNN can read and write: a descriptor plus 64-byte aligned, zero-initialised
/// storage owned by this object. Padding in blocked layouts must stay zero, hence the zeroing.
///
/// The storage is allocated when first used (its pointer read or a kernel run on it), not when
/// the buffer is described: kernels for a batch size build every layer's output gradient and
/// every backward reorder's target, and evaluation, frozen layers below the lowest one that
/// trains, and a frozen prefix read from the cache never touch them. `release` hands storage
/// back; the next use allocates it again, zeroed.
final class DNNLMemory {
    let desc: MemoryDesc
    let byteCount: Int
    private let memory: dnnl_memory_t
    private var storage: UnsafeMutableRawPointer?
    /// Set when this object is another descriptor over someone else's storage.
    private let owner: DNNLMemory?
    /// Set when this buffer takes turns with others on one allocation (`share`).
    private var shared: SharedStorage?

    init(_ desc: MemoryDesc) {
        self.desc = desc
        owner = nil
        byteCount = max(desc.byteCount, 4)
        var md = desc
        var handle: dnnl_memory_t?
        dnnlCheck(dnnl_memory_create(&handle, &md, DNNL.engine, nil), "dnnl_memory_create")
        memory = handle!
    }

    convenience init(plain dims: [Int]) { self.init(.plain(dims)) }

    /// The same bytes seen with another descriptor of equal size, e.g. a fully connected layer's
    /// (out, in) weights seen as (out, C, H, W) to match a 4-D input.
    init(aliasing owner: DNNLMemory, as desc: MemoryDesc) {
        precondition(desc.byteCount == owner.byteCount, "alias must cover the same bytes")
        self.desc = desc
        self.owner = owner
        byteCount = owner.byteCount
        storage = UnsafeMutableRawPointer(owner.floats)
        var md = desc
        var handle: dnnl_memory_t?
        dnnlCheck(dnnl_memory_create(&handle, &md, DNNL.engine, storage), "dnnl_memory_create")
        memory = handle!
    }

    deinit {
        dnnl_memory_destroy(memory)
        if owner == nil && shared == nil { storage?.deallocate() }
    }

    /// From now on this buffer lives in `storage`, which other buffers use at other times (a
    /// gradient between the steps of a backward pass that write and read it): its contents are
    /// only what was last written while it was in use. Only before first use.
    func share(_ storage: SharedStorage) {
        precondition(owner == nil && self.storage == nil && shared == nil, "a buffer shares storage before it is first used, once")
        storage.reserve(byteCount)
        shared = storage
    }

    /// The storage, allocated (zeroed) on first use; a shared buffer binds to its shared storage.
    var floats: UnsafeMutablePointer<Float> {
        if let storage { return storage.assumingMemoryBound(to: Float.self) }
        let raw: UnsafeMutableRawPointer
        if let shared {
            raw = shared.pointer
        } else {
            raw = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        }
        dnnlCheck(dnnl_memory_set_data_handle(memory, raw), "dnnl_memory_set_data_handle")
        storage = raw
        return raw.assumingMemoryBound(to: Float.self)
    }

    /// The oneDNN memory object, its storage allocated.
    var handle: dnnl_memory_t {
        _ = floats
        return memory
    }

    /// Whether storage is allocated now (tests, memory accounting).
    var isAllocated: Bool { storage != nil }

    /// Hands the storage back (an alias keeps its owner's, a shared buffer only lets go of its
    /// shared storage); the next use allocates it again, zeroed, or binds to the shared storage.
    func release() {
        guard owner == nil, let storage else { return }
        dnnlCheck(dnnl_memory_set_data_handle(memory, nil), "dnnl_memory_set_data_handle")
        if shared == nil { storage.deallocate() }
        self.storage = nil
    }

    /// Number of floats in storage, including any padding of a blocked layout.
    var storageCount: Int { byteCount / 4 }

    func zero() { UnsafeMutableRawPointer(floats).initializeMemory(as: UInt8.self, repeating: 0, count: byteCount) }

    /// Adds this buffer into `g`, storage of a buffer with the same descriptor (gradients that
    /// several consumers or loss terms contribute to one layer output).
    func accumulate(into g: UnsafeMutablePointer<Float>) {
        let e = floats
        for i in 0..<storageCount { g[i] += e[i] }
    }
}

/// One allocation that several buffers take turns on (Network's gradient pool): sized to the
/// largest of them before any is used, allocated (zeroed) when the first one is.
final class SharedStorage {
    private(set) var byteCount = 0
    private var raw: UnsafeMutableRawPointer?

    func reserve(_ bytes: Int) {
        precondition(raw == nil, "shared storage is sized before its first use")
        byteCount = max(byteCount, bytes)
    }

    var pointer: UnsafeMutableRawPointer {
        if let raw { return raw }
        let r = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        r.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        raw = r
        return r
    }

    var isAllocated: Bool { raw != nil }

    deinit { raw?.deallocate() }
}

/// A created primitive (convolution, pooling, reorder, …) with its descriptor, built once per
/// shape and reused for every step.
final class DNNLPrimitive {
    let pd: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t
    let label: String

    /// Creates a primitive from an initialised op descriptor (`dnnl_convolution_desc_t`, …).
    /// Backward primitives pass their forward primitive as the hint.
    init<OpDesc>(_ label: String, opDesc: OpDesc, hint: DNNLPrimitive? = nil) {
        self.label = label
        var op = opDesc
        var pd: dnnl_primitive_desc_t?
        dnnlCheck(withUnsafePointer(to: &op) {
            dnnl_primitive_desc_create(&pd, UnsafeRawPointer($0), nil, DNNL.engine, hint?.pd)
        }, "dnnl_primitive_desc_create(\(label))")
        self.pd = pd!
        var primitive: dnnl_primitive_t?
        dnnlCheck(dnnl_primitive_create(&primitive, pd), "dnnl_primitive_create(\(label))")
        self.primitive = primitive!
    }

    /// A reorder between two layouts of the same tensor.
    init(reorderFrom src: MemoryDesc, to dst: MemoryDesc) {
        label = "reorder"
        var s = src, d = dst
        var pd: dnnl_primitive_desc_t?
        dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &s, DNNL.engine, &d, DNNL.engine, nil),
                  "dnnl_reorder_primitive_desc_create")
        self.pd = pd!
        var primitive: dnnl_primitive_t?
        dnnlCheck(dnnl_primitive_create(&primitive, pd), "dnnl_primitive_create(reorder)")
        self.primitive = primitive!
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(pd)
    }

    /// oneDNN's name for the implementation it picked, e.g. "jit:avx2" or "gemm:jit".
    var implementation: String {
        var text: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &text) == dnnl_success, let text else { return "?" }
        return String(cString: text)
    }

    /// The layout this primitive chose for one of its arguments (`dnnl_query_src_md`, …).
    func desc(_ what: dnnl_query_t, _ index: Int32 = 0) -> MemoryDesc {
        dnnl_primitive_desc_query_md(pd, what, index)!.pointee
    }

    func execute(_ args: [(Int32, DNNLMemory)]) {
        let exec = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        dnnlCheck(dnnl_primitive_execute(primitive, DNNL.stream, Int32(exec.count), exec),
                  "dnnl_primitive_execute(\(label))")
    }
}

/// Calls `body` with a pointer to `desc`, or NULL when there is none (oneDNN's "no bias").
func withOptionalPointer<R>(_ desc: MemoryDesc?, _ body: (UnsafePointer<MemoryDesc>?) -> R) -> R {
    guard var d = desc else { return body(nil) }
    return withUnsafePointer(to: &d) { body($0) }
}

/// Copies a tensor between two layouts when they differ, and costs nothing when they agree:
/// `target` is then the source itself. Used at the edges where a kernel wants another layout.
final class Relayout {
    let source: DNNLMemory
    let target: DNNLMemory
    private let reorder: DNNLPrimitive?

    /// Presents `source` in layout `wanted`.
    init(from source: DNNLMemory, as wanted: MemoryDesc) {
        self.source = source
        if source.desc.sameLayout(as: wanted) {
            target = source
            reorder = nil
        } else {
            target = DNNLMemory(wanted)
            reorder = DNNLPrimitive(reorderFrom: source.desc, to: wanted)
        }
    }

    /// Lets a kernel write layout `produced` and delivers the result into `destination`.
    init(producing produced: MemoryDesc, into destination: DNNLMemory) {
        target = destination
        if destination.desc.sameLayout(as: produced) {
            source = destination
            reorder = nil
        } else {
            source = DNNLMemory(produced)
            reorder = DNNLPrimitive(reorderFrom: produced, to: destination.desc)
        }
    }

    var isIdentity: Bool { reorder == nil }

    func run() {
        reorder?.execute([(DNNL_ARG_FROM, source), (DNNL_ARG_TO, target)])
    }
}

/// Row-major single-precision GEMM on oneDNN's own tuned kernel: C = op(A) x op(B) + beta C,
/// op(A) M x K and op(B) K x N, where op transposes when asked; lda/ldb/ldc are the row lengths
/// of A, B and C as stored. Also the yardstick of `harness bench`: what the processor can do.
package func dnnlMatrixMultiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                        transposeA: Bool = false, transposeB: Bool = false, beta: Float = 0) {
    let lda = transposeA ? m : k, ldb = transposeB ? k : n
    let flag = { (t: Bool) in CChar(UInt8(ascii: t ? "T" : "N")) }
    dnnlCheck(dnnl_sgemm(flag(transposeA), flag(transposeB), dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), 1,
                         a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb), beta, c, dnnl_dim_t(n)), "dnnl_sgemm(\(m)x\(n)x\(k))")
}

/// Thread count for oneDNN's OpenMP pool.
public enum EngineThreads {
    public static func set(_ count: Int) {
        harness_flush_denormals()
        omp_set_num_threads(Int32(max(1, count)))
    }
    public static var current: Int { Int(omp_get_max_threads()) }
}

public enum EngineMemory {
    /// Returns freed heap memory to the system (after dropping a large data set).
    public static func releaseFreePages() { harness_release_free_memory() }
}

public enum EngineInfo {
    /// Bump when a change to the engine can change a trained network's numbers; cached
    /// networks and results are keyed on it.
    public static let engineVersion = "2"
    public static var oneDNNVersion: String { DNNL.version }

    /// The processor the kernels were built for: oneDNN's instruction set (an enum value) and
    /// the model, whose cache sizes set the kernels' blocking. Keys of cached activations carry
    /// it: another processor can round the same sums differently.
    public static let kernelProcessor: String = {
        let isa = EngineInfo.instructionSet
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = info.split(separator: "\n").first { $0.hasPrefix("model name") }.map { $0.split(separator: ":", maxSplits: 1).last!.trimmingCharacters(in: .whitespaces) }
        return "\(model ?? "unknown processor") (\(isa))"
    }()

    /// oneDNN's effective instruction set by name (its dnnl_cpu_isa_t value when unnamed).
    public static var instructionSet: String {
        let isa = dnnl_get_effective_cpu_isa()
        let names: [UInt32: String] = [dnnl_cpu_isa_sse41.rawValue: "sse41", dnnl_cpu_isa_avx.rawValue: "avx", dnnl_cpu_isa_avx2.rawValue: "avx2",
                                       dnnl_cpu_isa_avx512_core.rawValue: "avx512_core", dnnl_cpu_isa_avx512_core_vnni.rawValue: "avx512_core_vnni",
                                       dnnl_cpu_isa_avx512_core_bf16.rawValue: "avx512_core_bf16", dnnl_cpu_isa_avx512_core_amx.rawValue: "avx512_core_amx"]
        return names[isa.rawValue] ?? String(format: "isa 0x%x", isa.rawValue)
    }
}
