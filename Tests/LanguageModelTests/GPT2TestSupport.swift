import Foundation
import XCTest
import Tensors
@testable import LanguageModel

/// The committed fixtures: a tiny random GPT-2 and its activations from transformers
/// (scripts/gpt2/make_tiny.py).
enum GPT2Fixtures {
    static func url(_ name: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("gpt2/\(name)")
    }

    static var tinyFolder: URL { get throws { try url("tiny") } }

    /// The tiny model's tensors, name → (shape, values), as the file stores them.
    static func tinyTensors() throws -> [String: (shape: [Int], values: [Float])] {
        let file = try SafetensorsFile(path: try tinyFolder.appendingPathComponent("model.safetensors").path)
        var all: [String: (shape: [Int], values: [Float])] = [:]
        for tensor in file.tensors { all[tensor.name] = (tensor.shape, try tensor.floats()) }
        return all
    }

    static func tinyConfig() throws -> [String: Any] {
        let data = try Data(contentsOf: try tinyFolder.appendingPathComponent("config.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}

/// A safetensors file (F32, or F16 when `half`) holding `tensors`, written the way the format
/// says: u64 header length, JSON header, data.
func safetensorsBytes(_ tensors: [String: (shape: [Int], values: [Float])], half: Bool = false) throws -> [UInt8] {
    var header: [String: Any] = [:]
    var data: [UInt8] = []
    for name in tensors.keys.sorted() {
        let (shape, values) = tensors[name] ?? ([], [])
        let begin = data.count
        for value in values {
            if half {
                withUnsafeBytes(of: Float16(value).bitPattern.littleEndian) { data.append(contentsOf: $0) }
            } else {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
        }
        header[name] = ["dtype": half ? "F16" : "F32", "shape": shape, "data_offsets": [begin, data.count]]
    }
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while json.count % 8 != 0 { json.append(0x20) }
    return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + Array(json) + data
}

extension XCTestCase {
    /// A fresh folder holding `config` as config.json and `tensors` as model.safetensors, removed
    /// when the test ends.
    func gpt2Folder(config: [String: Any], tensors: [String: (shape: [Int], values: [Float])], half: Bool = false) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("saescope-gpt2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        try Data(try safetensorsBytes(tensors, half: half)).write(to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }
}

/// max |a − b| / RMS(reference): the golden tests' measure of error.
func relativeError(_ actual: [Float], _ reference: [Float]) -> Double {
    guard actual.count == reference.count, !reference.isEmpty else { return .infinity }
    var worst: Double = 0, squares: Double = 0
    for (a, r) in zip(actual, reference) {
        worst = max(worst, abs(Double(a) - Double(r)))
        squares += Double(r) * Double(r)
    }
    let rms = (squares / Double(reference.count)).squareRoot()
    return worst.isNaN ? .infinity : worst / max(rms, .leastNormalMagnitude)
}
