// Outputs of frozen prefixes (FrozenPrefix.swift), computed once per image and reused: within a
// training run by every epoch, and on disk by every cell, seed, trial and later comparison whose
// network starts with the same frozen layers on the same images. An entry is keyed by what the
// prefix computes (layers, weights, statistics, engine, processor, kernel batch) and by the
// images' content, and stores one row per image in the images' canonical order, so a run that
// shows the images in another order (every seed does) reads the same entry.
//
// Bounded twice: an entry kept in memory must fit `memoryBudget`; the directory stays within
// `diskBudget`, least recently used entries leaving first. Entries on disk are mapped, not read:
// an entry larger than the memory budget spills there. Whatever is skipped is said in the log.
import Foundation
import HarnessSupport
import HarnessData

public final class PrefixFeatureCache {
    public enum Mode: String, CaseIterable, Codable, Sendable {
        /// In memory within a run, and on disk across runs and comparisons.
        case on
        /// Within a run only: nothing is written.
        case memory
        /// Every epoch runs every layer (to measure the cache, or to rule it out).
        case off
    }

    public struct Settings: Codable, Hashable, Sendable {
        public var mode: Mode
        public var directory: String
        /// Bytes the directory may hold.
        public var diskBudget: Int
        /// Bytes one entry may take in memory (computed for a run without a disk entry).
        public var memoryBudget: Int

        public init(mode: Mode = .on, directory: String = CacheDirectory.features, diskBudget: Int = 20 << 30, memoryBudget: Int = 2 << 30) {
            self.mode = mode
            self.directory = directory
            self.diskBudget = diskBudget
            self.memoryBudget = memoryBudget
        }
    }

    /// Where a run's prefix outputs came from.
    public enum Origin: String, Sendable { case computed, memory, disk }

    /// One use of the cache, for logs and tests.
    public struct Use: Equatable, Sendable {
        /// The prefix's last layer.
        public var layer: String
        public var origin: Origin
        public var images: Int
        public var bytes: Int
    }

    /// A set of images as the cache can key it: a fingerprint of its content in its canonical
    /// order (computed when first needed: hashing every pixel costs a pass), and where each image
    /// as given sits in that order. With `source`, the set in that order as the host holds it:
    /// entries are computed from it, never from a copy a plugin was lent (and could write to).
    public final class Identity {
        public let canonical: [Int]
        public let source: ImageSet?
        private let fingerprinting: () -> String
        public private(set) lazy var fingerprint: String = fingerprinting()

        public init(canonical: [Int], fingerprint: @escaping () -> String) {
            self.canonical = canonical
            source = nil
            fingerprinting = fingerprint
        }

        /// The identity of `source` shown in `order` (order[j]: the index in `source` of image j).
        public init(_ source: ImageSet, shownIn order: [Int]) {
            canonical = order
            self.source = source
            fingerprinting = { Identity.fingerprint(of: source) }
        }

        /// The content of a set, in its own order: shape, normalisation and every value as read.
        public static func fingerprint(of images: ImageSet) -> String {
            var h = StableHash()
            h.add("\(images.count)x\(images.channels)x\(images.height)x\(images.width)")
            images.addPixels(to: &h)
            return h.hex
        }
    }

    /// One prefix output per image, read in the order the images were given.
    final class Outputs {
        let width: Int
        let count: Int
        private let rows: Rows
        private let canonical: [Int]?

        init(rows: Rows, width: Int, count: Int, canonical: [Int]?) {
            self.rows = rows
            self.width = width
            self.count = count
            self.canonical = canonical
        }

        func row(_ j: Int) -> UnsafePointer<Float> { UnsafePointer(rows.base + (canonical?[j] ?? j) * width) }
    }

    /// Storage of one entry: allocated, or a file mapped read-only.
    final class Rows {
        let base: UnsafeMutablePointer<Float>
        let bytes: Int
        let mapped: Bool

        init(allocating bytes: Int) {
            self.bytes = bytes
            base = .allocate(capacity: max(bytes / 4, 1))
            mapped = false
        }

        init?(mapping path: String, bytes: Int, writable: Bool) {
            let fd = writable ? open(path, O_RDWR | O_CREAT, 0o644) : open(path, O_RDONLY)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            if writable { guard ftruncate(fd, off_t(bytes)) == 0 else { return nil } }
            var info = stat()
            guard fstat(fd, &info) == 0, Int(info.st_size) == bytes, bytes > 0 else { return nil }
            let p = mmap(nil, bytes, writable ? PROT_READ | PROT_WRITE : PROT_READ, writable ? MAP_SHARED : MAP_PRIVATE, fd, 0)
            guard let p, p != MAP_FAILED else { return nil }
            base = p.bindMemory(to: Float.self, capacity: bytes / 4)
            self.bytes = bytes
            mapped = true
        }

        deinit {
            if mapped { munmap(UnsafeMutableRawPointer(base), bytes) } else { base.deallocate() }
        }
    }

    public let settings: Settings
    public private(set) var uses: [Use] = []
    private let log: (String) -> Void
    /// Entries this process holds, by key; allocated ones count against the memory budget.
    private var held: [String: Rows] = [:]

    public init(_ settings: Settings, log: @escaping (String) -> Void = { _ in }) {
        self.settings = settings
        self.log = log
    }

    /// The outputs of layers 0...end of `network` for `images`, or nil when the cache is off or
    /// they do not fit. Computes missing outputs at `batch` images per kernel call (training
    /// passes its own batch, so the numbers are the ones an uncached step would compute).
    func outputs(of network: Network, through end: Int, images: ImageSet, identity: Identity?, batch: Int,
                 training: Bool) -> Outputs? {
        guard settings.mode != .off, images.count > 0 else { return nil }
        let kernelBatch = network.prepareForEvaluation(batch: batch, count: images.count)
        let width = network.outputShape(of: end).reduce(1, *)
        let bytes = images.count * width * MemoryLayout<Float>.stride
        let name = network.layerName(end)
        let key = identity.map { network.prefixKey(through: end, batch: kernelBatch) + "-" + $0.fingerprint }
        func use(_ rows: Rows, _ origin: Origin) -> Outputs {
            uses.append(Use(layer: name, origin: origin, images: images.count, bytes: bytes))
            let what = training ? "reused by every epoch" : "read instead of running them"
            switch origin {
            case .computed: log("frozen prefix (layers through \(name)): computed its outputs for \(images.count) images once (\(Self.size(bytes))), \(what)")
            case .disk: log("frozen prefix (layers through \(name)): outputs for \(images.count) images from the disk cache (\(Self.size(bytes))), \(what)")
            case .memory: log("frozen prefix (layers through \(name)): outputs for \(images.count) images already in memory, \(what)")
            }
            return Outputs(rows: rows, width: width, count: images.count, canonical: identity?.canonical)
        }
        func compute(into rows: Rows) {
            // From the host's own set in its own order when there is one; else the images given, put in that order.
            let source = identity?.source.flatMap { $0.count == images.count ? $0 : nil }
            network.run(count: images.count, batch: kernelBatch, upTo: end, training: training, fill: { start, n, into in
                (source ?? images).copyImages(start..<(start + n), into: into)
            }) { values, start, n, _ in
                for j in 0..<n {
                    let slot = source != nil ? start + j : (identity?.canonical[start + j] ?? (start + j))
                    (rows.base + slot * width).update(from: values + j * width, count: width)
                }
            }
        }

        if let key, let rows = held[key] { return use(rows, .memory) }
        if let key, settings.mode == .on {
            let path = self.path(key)
            if let rows = Rows(mapping: path, bytes: bytes, writable: false) {
                touch(path)
                held[key] = rows
                return use(rows, .disk)
            }
            if makeRoom(for: bytes) {
                let temporary = path + ".partial-\(getpid())"
                if let rows = Rows(mapping: temporary, bytes: bytes, writable: true) {
                    compute(into: rows)
                    if rename(temporary, path) == 0 {
                        held[key] = rows
                        return use(rows, .computed)
                    }
                }
                unlink(temporary)
                log("frozen prefix (layers through \(name)): could not write \(path); keeping its outputs in memory for this run")
            }
        }
        guard bytes <= settings.memoryBudget else {
            log("frozen prefix (layers through \(name)): its outputs for \(images.count) images would take \(Self.size(bytes)), more than the cache's "
                + "\(Self.size(settings.memoryBudget)) in memory\(settings.mode == .on ? " and more than the disk cache may hold" : ""); "
                + "running it on every step instead")
            return nil
        }
        let rows = Rows(allocating: bytes)
        compute(into: rows)
        if let key {
            // Only one allocated entry at a time: the budget bounds what a run holds.
            held = held.filter { $0.value.mapped }
            held[key] = rows
        }
        return use(rows, .computed)
    }

    /// A word for the log about why the cache covers less than it could.
    func note(_ message: String) { log(message) }

    private func path(_ key: String) -> String { settings.directory + "/\(key).f32" }

    /// Marks an entry as just used: eviction takes the least recently used first.
    private func touch(_ path: String) { utimes(path, nil) }

    /// Removes least recently used entries until `bytes` more fit the disk budget; false when
    /// they cannot (said in the log) or the directory cannot be made.
    private func makeRoom(for bytes: Int) -> Bool {
        let files = FileManager.default
        do { try files.createDirectory(atPath: settings.directory, withIntermediateDirectories: true) } catch {
            log("frozen prefix: cannot create the cache directory \(settings.directory) (\(error)); keeping outputs in memory")
            return false
        }
        guard bytes <= settings.diskBudget else {
            log("frozen prefix: outputs of \(Self.size(bytes)) exceed the disk cache's budget of \(Self.size(settings.diskBudget)); not written")
            return false
        }
        let listed = ((try? files.contentsOfDirectory(atPath: settings.directory)) ?? []).compactMap { name -> (name: String, path: String, size: Int, date: Date)? in
            let p = settings.directory + "/" + name
            guard let a = try? files.attributesOfItem(atPath: p), let size = a[.size] as? Int, let date = a[.modificationDate] as? Date else { return nil }
            return (name, p, size, date)
        }
        // Writes a crash left behind (an hour old: no run writes one that long).
        for file in listed where file.name.contains(".partial-") && file.date < Date(timeIntervalSinceNow: -3600) { try? files.removeItem(atPath: file.path) }
        let entries = listed.filter { $0.name.hasSuffix(".f32") }.sorted { $0.date < $1.date }
        var total = entries.reduce(0) { $0 + $1.size }
        var evicted = 0
        for entry in entries where total + bytes > settings.diskBudget {
            try? files.removeItem(atPath: entry.path)
            total -= entry.size
            evicted += 1
        }
        if evicted > 0 { log("frozen prefix: removed the \(evicted) least recently used cache entries to stay within \(Self.size(settings.diskBudget))") }
        return true
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 30 ? String(format: "%.2f GiB", Double(bytes) / Double(1 << 30)) : String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }
}
