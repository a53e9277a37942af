import Foundation
import XCTest
@testable import FeatureIndex
@testable import App

/// `TokenJSON` writes what `Vocabulary.display` shows, as JSON strings: literals held in their
/// entry (up to 15 bytes) and longer ones, escapes, split characters and unknown ids.
final class TokenJSONTests: XCTestCase {
    func testDisplayStringsMatchTheVocabulary() throws {
        let tokens = [
            VocabToken("a"), VocabToken(" the"), VocabToken("\n"), VocabToken("\"q\"\\"),
            VocabToken(String(repeating: "x", count: 13)),  // a 15-byte literal: the longest held inline
            VocabToken(String(repeating: "y", count: 14)),  // 16 bytes: the shortest held apart
            VocabToken(String(repeating: "é", count: 40)), VocabToken("<img src=x onerror=alert(1)>"),
            VocabToken(bytes: [0xF0, 0x9F]), VocabToken(bytes: [0x98, 0x80]), VocabToken(bytes: [0xE2]),
            VocabToken("\u{1}\t"),
        ]
        let vocabulary = Vocabulary(tokens)
        let json = TokenJSON(vocabulary)
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<500 {
            // Unknown ids (12, 99) among the known ones, and runs of split characters.
            // Some long enough for several of `writeDisplay`'s 256-token chunks.
            let length = trial % 50 == 0 ? 500 + trial : trial % 17
            let ids = (0..<length).map { _ in UInt32([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 99].randomElement(using: &rng)!) }
            var writer = JSONWriter()
            writer.array { a in json.writeDisplay(ids, to: &a) }
            let decoded = try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String]
            XCTAssertEqual(decoded, vocabulary.display(ids), "\(ids)")
        }
        for id in [UInt32(0), 4, 5, 6, 8, 12] {
            var writer = JSONWriter()
            writer.array { a in json.write(id, to: &a) }
            let decoded = try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String]
            XCTAssertEqual(decoded, [vocabulary.text(id)], "token \(id)")
        }
    }

    /// The peak an example's JSON names (its text copied from where the activations wrote it)
    /// is `PackedActivations.peak`'s, also for negatives, −0, NaN and zeros anywhere.
    func testExamplePeakIsThePackedPeak() throws {
        let json = TokenJSON(Vocabulary([VocabToken("a")]))
        var rng = SystemRandomNumberGenerator()
        let values: [Float] = [0, 0, 0, -0.0, -2, -0.5, 0.5, 1, 1, 3, 2.75, .nan]
        for trial in 0..<2000 {
            let n = trial % 9
            let activations = (0..<n).map { _ in values.randomElement(using: &rng)! }
            let example = Example(tokenIDs: [UInt32](repeating: 0, count: n), activations: activations, document: 0, position: 0)
            let blob = Blob.pack(groups: [IntervalGroup(min: 0, max: 0, contains: 1, examples: [example])])
            try blob.withUnsafeBytes { raw in
                let packed = try XCTUnwrap(PackedGroups(raw)?.top.first { _ in true })
                var written = JSONWriter()
                written.example(packed, tokens: json)
                let peak = packed.activations.peak
                var expected = JSONWriter()
                expected.object { o in o.key("max_index"); o.int(peak.index); o.key("max_activation"); o.number(peak.activation) }
                let text = String(decoding: written.bytes, as: UTF8.self)
                let wanted = String(decoding: expected.bytes.dropFirst().dropLast(), as: UTF8.self)
                XCTAssertTrue(text.contains("," + wanted + ","), "\(activations): \(text) lacks \(wanted)")
            }
        }
    }
}
