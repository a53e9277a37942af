import XCTest
@testable import FeatureIndex

final class VocabularyTests: XCTestCase {
    let vocab = Vocabulary([
        VocabToken("The"), VocabToken(" cat"), VocabToken("\n"),
        VocabToken(bytes: [0xF0, 0x9F]), VocabToken(bytes: [0x98, 0x80]),  // 😀 = F0 9F 98 80
        VocabToken(bytes: [0x61, 0xC3]), VocabToken(bytes: [0xA9, 0x62]),  // "a" + é (C3 A9) + "b"
        VocabToken(bytes: [0xE6]), VocabToken(bytes: [0x97]), VocabToken(bytes: [0xA5]),  // 日 in three
        VocabToken(bytes: [0xFF]), VocabToken("<|endoftext|>", special: true),
    ])

    func testWholeTokensDecodeAsThemselves() {
        XCTAssertEqual(vocab.display([0, 1, 2]), ["The", " cat", "\n"])
    }

    func testEmojiSplitOverTwoTokensShowsInBoth() {
        XCTAssertEqual(vocab.display([0, 3, 4, 1]), ["The", "😀", "😀", " cat"])
    }

    func testCharacterStraddlingTokensGoesToTheTokenItStartsIn() {
        XCTAssertEqual(vocab.display([5, 6]), ["aé", "b"])
    }

    func testThreeWaySplit() {
        XCTAssertEqual(vocab.display([7, 8, 9]), ["日", "日", "日"])
    }

    func testIncompleteOrInvalidBytesShowReplacementCharacter() {
        XCTAssertEqual(vocab.display([3, 1]), ["\u{FFFD}", " cat"])  // emoji cut short
        XCTAssertEqual(vocab.display([10]), ["\u{FFFD}"])
        XCTAssertEqual(vocab.display([4]), ["\u{FFFD}\u{FFFD}"])  // two lone continuation bytes
    }

    func testUnknownIdsAreMarked() {
        XCTAssertEqual(vocab.display([0, 999]), ["The", "<999>"])
        XCTAssertEqual(vocab.display([3, 999, 4]), ["😀", "<999>", "😀"], "unknown ids add no bytes")
    }

    func testTextOfOneToken() {
        XCTAssertEqual(vocab.text(1), " cat")
        XCTAssertEqual(vocab.text(11), "<|endoftext|>")
        XCTAssertEqual(vocab.text(3), "\u{FFFD}")
        XCTAssertEqual(vocab.text(12345), "<12345>")
    }

    func testUTF8ValidationRejectsOverlongAndSurrogates() {
        XCTAssertFalse(Vocabulary.isCompleteUTF8([0xC0, 0x80]))        // overlong NUL
        XCTAssertFalse(Vocabulary.isCompleteUTF8([0xED, 0xA0, 0x80]))  // surrogate
        XCTAssertFalse(Vocabulary.isCompleteUTF8([0xF4, 0x90, 0x80, 0x80]))  // > U+10FFFF
        XCTAssertTrue(Vocabulary.isCompleteUTF8(Array("héllo 東京 😀".utf8)))
    }

    func testSearchKey() {
        XCTAssertEqual(Vocabulary.searchKey(" Paris\n"), "paris")
    }
}
