// harness bench's image-loading race: a folder of JPEGs of mixed sizes and colour, brought to the
// network's input by harness (libvips in one decoding process per core: cold, and from the
// decoded-image cache) and by torchvision's ImageFolder with as many DataLoader workers. Runs alternate; the figures
// are images per second and the ratios of paired runs.
import Foundation
import HarnessData

public struct LoadingRace: Codable, Sendable {
    public var images: Int
    public var files: String
    public var shape: InputShape
    public var torchvision = "?"
    /// Images per second per run.
    public var harnessCold: RepeatedMeasurement
    public var harnessCached: RepeatedMeasurement
    public var torchvisionCold: RepeatedMeasurement

    public var coldVersusTorchvision: Double { harnessCold.pairedRatio(to: torchvisionCold) }
    public var cachedVersusCold: Double { harnessCached.pairedRatio(to: harnessCold) }

    /// Writes the race's folder: `perClass` train and test images per class of Fashion-MNIST's
    /// `dataset`, as JPEGs of four sizes, every second one tinted in colour.
    public static func makeFolder(from dataset: Dataset, perClass: Int, at directory: String) throws -> (files: Int, description: String) {
        let sizes = [256, 400, 512, 640]
        let n = try ImageFolderWriter(formats: ["jpg"], sizes: sizes, colourEvery: 2).write(dataset, to: directory, perClass: perClass)
        return (n, "\(n) JPEGs of \(sizes.map { "\($0)x\($0)" }.joined(separator: ", ")) pixels, every second one in colour")
    }

    /// Runs the race `repeats` times: harness cold (an empty cache), harness cached, torchvision.
    public static func run(folder: String, description: String, shape: InputShape, decoders: DecoderProcesses, repeats: Int, python: String,
                           script: String, scratch: String, progress: (String) -> Void) throws -> LoadingRace {
        var cold: [Double] = [], cached: [Double] = [], peer: [Double] = []
        var images = 0, version = "?"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let spec = try DataSpec(folder + (shape.channels == 1 ? "@gray" : ""))
        func harness(_ cache: DecodedImageCache) throws -> Double {
            let start = Date()
            let loaded = try spec.load(LoadingOptions(shape: shape, cache: cache, decoders: decoders))
            images = loaded.dataset.train.count + loaded.dataset.test.count
            return Double(images) / Date().timeIntervalSince(start)
        }
        func torchvision() throws -> Double {
            let run = try MeasuredProcess.run(python, [script, "--folder", folder, "--channels", "\(shape.channels)", "--height", "\(shape.height)",
                                                       "--width", "\(shape.width)", "--threads", "\(decoders.processes)"], log: URL(fileURLWithPath: scratch + "/torchvision.log"))
            guard run.status == 0, let line = run.output.split(separator: "\n").last,
                  let answer = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let n = answer["images"] as? Int, let seconds = answer["seconds"] as? Double else {
                throw BenchmarkError("the torchvision peer failed (is python3-torchvision installed?): \(run.log.suffix(2000))")
            }
            guard n == images else { throw BenchmarkError("torchvision read \(n) images, harness \(images): not the same folder") }
            version = answer["torchvision"] as? String ?? version
            return Double(n) / seconds
        }
        // One untimed pass of each, so both read files from the page cache rather than the disk.
        _ = try harness(DecodedImageCache(directory: scratch + "/warm"))
        _ = try torchvision()
        for r in 1...repeats {
            let cache = DecodedImageCache(directory: scratch + "/cache-\(r)")
            cold.append(try harness(cache))
            cached.append(try harness(cache))
            peer.append(try torchvision())
            progress(String(format: "image loading run %d/%d: harness %.0f images/s cold, %.0f from the cache; torchvision %.0f", r, repeats,
                            cold.last!, cached.last!, peer.last!))
        }
        var race = LoadingRace(images: images, files: description, shape: shape, harnessCold: RepeatedMeasurement(cold),
                               harnessCached: RepeatedMeasurement(cached), torchvisionCold: RepeatedMeasurement(peer))
        race.torchvision = version
        return race
    }
}
