// A plain Swift convolution, for the tests only: the oracle oneDNN's forward pass is checked against.

/// x: (n, c, h, w); weight: (o, c / groups, k, k); returns (n, o, oh, ow). Cross-correlation with
/// zero padding; with groups, output channel oc reads only the input channels of its group, as
/// PyTorch's Conv2d(groups=) does.
func referenceConvolution(_ x: [Float], n: Int, c: Int, h: Int, w: Int, weight: [Float], bias: [Float],
                          outChannels o: Int, kernel k: Int, stride s: Int, padding p: Int, groups g: Int = 1) -> [Float] {
    let cg = c / g, og = o / g
    let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
    var y = [Float](repeating: 0, count: n * o * oh * ow)
    for b in 0..<n { for oc in 0..<o { for i in 0..<oh { for j in 0..<ow {
        var sum = Double(bias[oc])
        for icg in 0..<cg { for u in 0..<k { for v in 0..<k {
            let ic = (oc / og) * cg + icg
            let yy = i * s + u - p, xx = j * s + v - p
            guard yy >= 0, yy < h, xx >= 0, xx < w else { continue }
            sum += Double(x[((b * c + ic) * h + yy) * w + xx]) * Double(weight[((oc * cg + icg) * k + u) * k + v])
        } } }
        y[((b * o + oc) * oh + i) * ow + j] = Float(sum)
    } } } }
    return y
}
