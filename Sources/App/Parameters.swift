import Foundation
import HTTP

/// Reads and checks query parameters; a bad one is a 400 that names it.
struct Parameters {
    let request: Request

    func int(_ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let raw = request.query[name] else { return value }
        guard let n = Int(raw), range.contains(n) else {
            throw HTTPError(400, "parameter '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(raw.prefix(100))'")
        }
        return n
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, default value: T) throws -> T where T.RawValue == String {
        guard let raw = request.query[name] else { return value }
        guard let v = T(rawValue: raw) else {
            let allowed = T.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw HTTPError(400, "parameter '\(name)' must be one of \(allowed), got '\(raw.prefix(100))'")
        }
        return v
    }

    /// A text parameter, trimmed; nil when absent or empty. Longer than `maxLength` is a 400.
    func text(_ name: String, maxLength: Int = 1000) throws -> String? {
        guard let raw = request.query[name] else { return nil }
        guard raw.utf8.count <= maxLength else { throw HTTPError(400, "parameter '\(name)' is longer than \(maxLength) bytes") }
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    func required(_ name: String, maxLength: Int = 1000) throws -> String {
        guard let value = try text(name, maxLength: maxLength) else { throw HTTPError(400, "parameter '\(name)' is required") }
        return value
    }
}

enum SortOrder: String, CaseIterable {
    case asc, desc
}
