// PyTorch checkpoints (.pth, .pt: what torch.save writes) read through Debian's python3-torch
// with torch.load(weights_only=True), which refuses to run pickled code, and written as the
// safetensors file `harness import` reads. A checkpoint that wraps its state dict ({"state_dict":
// ..., "epoch": ...}) is unwrapped, and what was left out is said.
import Foundation

public enum PyTorchCheckpoint {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public struct Converted {
        /// The safetensors file (in a temporary folder the caller may remove).
        public var path: String
        /// What the conversion has to say (an unwrapped entry and what was left out of it).
        public var notes: [String]
    }

    public static func isCheckpoint(_ path: String) -> Bool { [".pth", ".pt"].contains { path.lowercased().hasSuffix($0) } }

    /// Converts `path` with `python` (Debian's, which has python3-torch).
    public static func convert(_ path: String, python: String = "/usr/bin/python3") throws -> Converted {
        guard FileManager.default.fileExists(atPath: path) else { throw Failure(description: "\(path): no such file") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("harness-pth-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let out = dir + "/state_dict.safetensors"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", script, path, out]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch {
            throw Failure(description: "\(path): reading a PyTorch checkpoint needs \(python) with PyTorch. help: apt-get install python3-torch, or save the state dict with safetensors")
        }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let lines = text.split(separator: "\n").map(String.init)
        switch p.terminationStatus {
        case 0: return Converted(path: out, notes: lines.filter { $0.hasPrefix("note: ") }.map { String($0.dropFirst(6)) })
        case 3: throw Failure(description: "\(path): reading a PyTorch checkpoint needs PyTorch in \(python). help: apt-get install python3-torch")
        case 4: throw Failure(description: "\(path): torch.load(weights_only=True) refused it (it holds pickled objects other than tensors, which could run code): "
                                  + (lines.last ?? "") + ". help: load it in PyTorch yourself and save model.state_dict()")
        default: throw Failure(description: "\(path): not a state dict: " + (lines.last ?? "the conversion failed"))
        }
    }

    /// Self-contained (an installed harness has no examples/ folder); it writes safetensors as
    /// examples/torch_export.py's save_safetensors does.
    private static let script = #"""
import json, struct, sys
src, dst = sys.argv[1], sys.argv[2]
try:
    import torch
except ImportError:
    sys.exit(3)
try:
    obj = torch.load(src, map_location="cpu", weights_only=True)
except Exception as e:
    print(str(e).splitlines()[0] if str(e) else type(e).__name__)
    sys.exit(4)
if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
    rest = sorted(k for k in obj if k != "state_dict")
    print("note: read the checkpoint's 'state_dict' entry" + (", leaving out " + ", ".join(rest) if rest else ""))
    obj = obj["state_dict"]
if not isinstance(obj, dict):
    print(f"it holds a {type(obj).__name__}, not a dictionary of tensors (save model.state_dict())")
    sys.exit(5)
others = sorted(k for k, v in obj.items() if not torch.is_tensor(v))
if others:
    print("entries that are not tensors: " + ", ".join(others[:10]))
    sys.exit(5)
header, blobs, offset = {}, [], 0
for name, t in obj.items():
    data = t.detach().contiguous().to(torch.float32).numpy().tobytes()
    header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
text = json.dumps(header).encode()
text += b" " * (-(8 + len(text)) % 8)
with open(dst, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
"""#
}
