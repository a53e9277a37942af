import Foundation
import XCTest
import FeatureIndex
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
}
