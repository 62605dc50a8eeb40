// A data spec made real: its data set loaded, its classes picked and relabelled, its images at the
// network's input shape, its transforms applied. Every command that takes --source or --target
// loads through here, so a SPEC means the same images everywhere.
import Foundation

public struct LoadedData: Sendable {
    public var spec: DataSpec
    public var dataset: Dataset
    /// The chosen classes as indices of the whole data set, in the order of `dataset.classNames`.
    public var classes: [Int]
    /// What decoding an image folder did (nil for IDX data).
    public var report: ImageFolder.Report?
    /// What loading changed that the user should hear: grayscale images repeated into a colour
    /// network's three channels.
    public var notes: [String] = []
}

/// How images are loaded, beyond what the SPEC says.
public struct LoadingOptions: Sendable {
    /// The network's input; nil keeps the data's own shape (an image folder's: its first image's).
    public var shape: InputShape?
    public var skipUndecodable: Bool
    public var cache: DecodedImageCache?
    /// Child processes to decode image folders in (nil: in this process).
    public var decoders: DecoderProcesses?
    /// Training images per class, drawn by `samplingSeed`, and test images per class (drawn by
    /// seed 0, the same for every run), before resizing and transforms: transforming 35,000
    /// images to keep 100 cost 9 s in every worker.
    public var trainPerClass: Int?
    public var testPerClass: Int?
    public var samplingSeed: UInt64 = 0
    /// How each image is brought to `shape`: the model's framing (stretch for the harness's own).
    public var framing: Framing = .stretch

    public init(shape: InputShape? = nil, skipUndecodable: Bool = false, cache: DecodedImageCache? = DecodedImageCache(),
                decoders: DecoderProcesses? = nil) {
        self.shape = shape
        self.skipUndecodable = skipUndecodable
        self.cache = cache
        self.decoders = decoders
    }
}

extension DataSpec {
    /// Loads this SPEC: `seed` draws an image folder's held-out test set when it has no test/ folder.
    public func load(_ options: LoadingOptions = LoadingOptions(), seed: UInt64 = 0) throws -> LoadedData {
        let source = try self.source
        let gray = transforms.contains(.gray)
        var dataset: Dataset
        var report: ImageFolder.Report?
        var classes: [Int]
        switch source {
        case .directory(let path) where IDXDataset.files(in: path) == nil:
            guard ImageFolder.isImageFolder(path) else { throw DataError.noImages(path: path) }
            let folder = ImageFolder.Options(shape: options.shape, grayscale: gray,
                                             skipUndecodable: options.skipUndecodable, cache: options.cache,
                                             decoders: options.decoders, framing: options.framing)
            (dataset, report) = try ImageFolder.load(directory: path, options: folder, seed: seed)
            classes = try self.classes(in: dataset.classNames) ?? Array(0..<dataset.classCount)
        case .fashionMNIST:
            // The class names are known before loading: only the chosen classes become floats.
            classes = try self.classes(in: FashionMNIST.classNames) ?? Array(0..<FashionMNIST.classNames.count)
            dataset = try source.load(seed: seed, keeping: Set(classes))
        default:
            dataset = try source.load(seed: seed)
            classes = try self.classes(in: dataset.classNames) ?? Array(0..<dataset.classCount)
        }
        if classes != Array(0..<dataset.classCount) { dataset = dataset.restricted(to: classes) }
        // Sampling depends on labels alone, so it comes before any per-image work.
        if let k = options.trainPerClass { dataset.train = dataset.train.stratified(perClass: k, seed: options.samplingSeed) }
        if let k = options.testPerClass { dataset.test = dataset.test.stratified(perClass: k, seed: 0) }
        var notes: [String] = []
        if options.shape?.channels == 3, !gray {
            if report == nil, dataset.train.channels == 1 {
                notes.append("\(description): 1-channel images, each repeated into the network's 3 channels")
            } else if report != nil {
                let grays = dataset.train.grayscaleCount() + dataset.test.grayscaleCount(), all = dataset.train.count + dataset.test.count
                if grays > 0 {
                    notes.append("\(description): \(grays) of \(all) images are grayscale, each repeated into the network's 3 channels")
                }
            }
        }
        if report == nil {
            // Arrays: gray first (it changes the channels), then the network's shape.
            if gray {
                try DomainTransform.gray.apply(to: &dataset.train, seed: 0, stream: "train")
                try DomainTransform.gray.apply(to: &dataset.test, seed: 0, stream: "test")
            }
            if let shape = options.shape {
                dataset.train = try dataset.train.brought(to: shape, name: description, framing: options.framing)
                dataset.test = try dataset.test.brought(to: shape, name: description, framing: options.framing)
            }
        }
        for t in transforms where t != .gray {
            try t.apply(to: &dataset.train, seed: 0, stream: "train")
            try t.apply(to: &dataset.test, seed: 0, stream: "test")
        }
        return LoadedData(spec: self, dataset: dataset, classes: classes, report: report, notes: notes)
    }
}
