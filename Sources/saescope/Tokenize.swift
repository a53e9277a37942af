import ArgumentParser
import FeatureIndex
import Foundation
import Tokenizer

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Show the token ids and display strings a model's tokenizer gives a text.",
        discussion: """
            --model takes a tokenizer.json file, or a folder holding tokenizer.json or vocab.json + merges.txt \
            (GGUF files come with the GGUF reader). Special tokens are added only where the model's own \
            settings add them (a BOS token for some models).
            """)

    @Option(help: "A tokenizer.json, or a folder holding tokenizer.json or vocab.json + merges.txt.")
    var model: String

    @Flag(help: "Print {\"ids\": [...], \"tokens\": [...]} instead of a table.")
    var json = false

    @Argument(help: "The text to tokenize; - reads standard input.")
    var text: String

    func run() throws {
        try reportingErrors {
            let tokenizer = try BPETokenizer.load(from: model)
            let text = self.text == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : self.text
            let started = DispatchTime.now()
            let ids = tokenizer.encode(text)
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
            let summary = "\(ids.count) tokens from \(text.utf8.count) bytes in \(String(format: "%.1f", milliseconds)) ms "
                + "(\(tokenizer.preTokenizer.rawValue) split, vocabulary of \(tokenizer.vocabularySize))"
            // The index's display rule: a token holding part of a character shows the whole character.
            let vocabulary = Vocabulary(tokenBytes: tokenizer.tokenBytes, special: tokenizer.isSpecial)
            let tokens = vocabulary.display(ids.map { UInt32($0) })
            if json {
                let body: [String: Any] = ["ids": ids, "tokens": tokens]
                let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
                say(String(decoding: data, as: UTF8.self))
                note(summary)
                return
            }
            let idWidth = max(2, String(ids.max() ?? 0).count)
            let indexWidth = max(1, String(ids.count - 1).count)
            say("\("#".leftPadded(indexWidth))  \("id".leftPadded(idWidth))  token")
            for (i, (id, token)) in zip(ids, tokens).enumerated() {
                let special = tokenizer.isSpecial[id] ? "  (special)" : ""
                say("\(String(i).leftPadded(indexWidth))  \(String(id).leftPadded(idWidth))  \(Tokenize.visible(token))\(special)")
            }
            say(summary)
        }
    }

    /// A display string quoted, with line breaks and tabs shown as symbols so leading spaces stay visible.
    static func visible(_ token: String) -> String {
        var out = "\""
        for scalar in token.unicodeScalars {
            switch scalar {
            case "\n": out += "↵"
            case "\r": out += "␍"
            case "\t": out += "⇥"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
