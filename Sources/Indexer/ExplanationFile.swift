import FeatureIndex
import Foundation

/// Reads explanation files for `saescope explanations import`: JSONL (one object per line with
/// `latent` (or `latent_id`, `id`, `index`), `text` (or `explanation`, `description`) and an
/// optional `source`) or CSV (`latent,text[,source]`, an optional header row, RFC 4180 quoting).
public enum ExplanationFile {
    public struct Parsed: Sendable {
        public var rows: [ExplanationImport.Row]
        /// "line N: why" for each line that could not be read.
        public var bad: [String]
    }

    public static func read(_ path: String, defaultSource: String) throws -> Parsed {
        guard let data = FileManager.default.contents(atPath: path) else { throw CorpusError.unreadable(path, "cannot open it") }
        let text = String(decoding: data, as: UTF8.self)
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { return parseCSV(text, defaultSource: defaultSource) }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") { return parseJSONL(text, defaultSource: defaultSource) }
        // Otherwise by content: JSON objects start with "{".
        return text.drop { $0.isWhitespace }.first == "{" ? parseJSONL(text, defaultSource: defaultSource) : parseCSV(text, defaultSource: defaultSource)
    }

    static func parseJSONL(_ text: String, defaultSource: String) -> Parsed {
        var parsed = Parsed(rows: [], bad: [])
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                parsed.bad.append("line \(i + 1): not a JSON object")
                continue
            }
            let id = ["latent", "latent_id", "id", "index", "feature"].lazy.compactMap { object[$0] }.first
            let latent = (id as? Int) ?? (id as? String).flatMap { Int($0) }
            guard let latent else { parsed.bad.append("line \(i + 1): no integer 'latent'"); continue }
            guard let body = ["text", "explanation", "description"].lazy.compactMap({ object[$0] as? String }).first,
                  !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                parsed.bad.append("line \(i + 1): no 'text'")
                continue
            }
            parsed.rows.append(.init(latent: latent, text: body, source: (object["source"] as? String) ?? defaultSource))
        }
        return parsed
    }

    static func parseCSV(_ text: String, defaultSource: String) -> Parsed {
        var parsed = Parsed(rows: [], bad: [])
        for (i, fields) in csvRecords(text).enumerated() {
            if fields.allSatisfy({ $0.isEmpty }) { continue }
            guard fields.count >= 2, let latent = Int(fields[0].trimmingCharacters(in: .whitespaces)) else {
                if i > 0 || fields.count < 2 { parsed.bad.append("record \(i + 1): expected latent,text[,source]") }  // else a header
                continue
            }
            let source = fields.count > 2 && !fields[2].isEmpty ? fields[2] : defaultSource
            guard !fields[1].trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                parsed.bad.append("record \(i + 1): empty text")
                continue
            }
            parsed.rows.append(.init(latent: latent, text: fields[1], source: source))
        }
        return parsed
    }

    /// RFC 4180 records: fields split by commas, quoted fields may hold commas, newlines and "".
    static func csvRecords(_ text: String) -> [[String]] {
        var records: [[String]] = [], fields: [String] = [], field = ""
        var quoted = false, afterQuote = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append("\""); chars.removeFirst() } else { quoted = false; afterQuote = true }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty && !afterQuote: quoted = true
            case ",": fields.append(field); field = ""; afterQuote = false
            case "\r": continue
            case "\n":
                fields.append(field)
                records.append(fields)
                fields = []; field = ""; afterQuote = false
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !fields.isEmpty { fields.append(field); records.append(fields) }
        return records
    }
}
