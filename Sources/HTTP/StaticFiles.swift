import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves the files under a root directory for GET and HEAD.
///
/// Only regular files strictly inside `root` are served: encoded slashes, backslashes, NUL,
/// dot segments and dotfiles are refused, and the resolved path (symlinks followed with
/// `realpath`) must still lie under the resolved root. Everything refused is a plain 404 so the
/// response says nothing about the file system. Files are cached in memory with their ETag and a
/// gzip copy, revalidated against mtime and size at most once a second.
public struct StaticFiles: Responder {
    /// Why a `StaticFiles` could not be created.
    public struct Error: Swift.Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The root directory, resolved (symlinks followed).
    public let root: String
    private let cache: StaticFileCache

    /// Files under `root`, which must be an existing directory.
    public init(root: URL) throws {
        guard let resolved = realpath(root.path, nil) else {
            throw Error(description: "static file root \(root.path) does not exist")
        }
        defer { free(resolved) }
        let path = String(cString: resolved)
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw Error(description: "static file root \(root.path) is not a directory")
        }
        self.root = path
        self.cache = StaticFileCache()
    }

    public func respond(to request: Request) throws -> Response {
        guard request.method == "GET" || request.method == "HEAD" else {
            throw HTTPError(405, "method \(request.method) is not allowed on \(request.path); allowed: GET, HEAD",
                            headers: ["Allow": "GET, HEAD"])
        }
        let notFound = HTTPError(404, "no resource at \(request.path)")
        guard let relative = StaticFiles.relativePath(forTarget: request.target) else { throw notFound }
        guard let file = cache.file(relativePath: relative, root: root) else { throw notFound }
        var response = Response(status: 200, headers: [
            "Content-Type": file.contentType,
            "ETag": file.etag,
            "Cache-Control": "no-cache",
        ], body: file.bytes)
        response.cacheable = true
        response.precompressedBody = file.gzipped
        return response
    }

    /// Cache hits are memory copies; misses read the disk and go to a worker thread.
    public func respondsWithoutBlocking(to request: Request) -> Bool {
        guard let relative = StaticFiles.relativePath(forTarget: request.target) else { return true }
        return cache.hasFreshEntry(relativePath: relative)
    }

    /// The decoded path under the root ("css/site.css"), or nil when the target tries anything
    /// besides plain names separated by `/`. Byte-level: it runs on every static request.
    static func relativePath(forTarget target: String) -> String? {
        var rawPath = Request.rawPath(of: target)
        return rawPath.withUTF8 { raw -> String? in
            guard raw.count > 1, raw[0] == UInt8(ascii: "/") else { return nil }
            var path: [UInt8] = []
            path.reserveCapacity(raw.count)
            var segmentStart = 1
            for index in 1...raw.count where index == raw.count || raw[index] == UInt8(ascii: "/") {
                if !path.isEmpty { path.append(UInt8(ascii: "/")) }
                guard appendDecodedName(UnsafeBufferPointer(rebasing: raw[segmentStart..<index]), to: &path) else { return nil }
                segmentStart = index + 1
            }
            let relative = String(decoding: path, as: UTF8.self)
            // Invalid UTF-8 would have been replaced, so the name would not be the file's.
            return relative.utf8.elementsEqual(path) ? relative : nil
        }
    }

    /// Appends one percent-decoded path segment to `path`; false when it is empty, hidden (".",
    /// "..", ".git"), or holds a separator, NUL or control character, encoded or not — an
    /// encoded slash or backslash must never become a separator.
    private static func appendDecodedName(_ segment: UnsafeBufferPointer<UInt8>, to path: inout [UInt8]) -> Bool {
        let start = path.count
        var index = 0
        while index < segment.count {
            var byte = segment[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < segment.count, let high = PercentDecoding.hexValue(segment[index + 1]),
                      let low = PercentDecoding.hexValue(segment[index + 2]) else { return false }
                byte = high << 4 | low
                index += 2
            }
            guard byte >= 0x20, byte != 0x7F, byte != UInt8(ascii: "/"), byte != UInt8(ascii: "\\") else { return false }
            path.append(byte)
            index += 1
        }
        return path.count > start && path[start] != UInt8(ascii: ".")
    }
}

/// One cached file.
struct StaticFile: Sendable {
    var bytes: [UInt8]
    var gzipped: [UInt8]?
    var etag: String
    var contentType: String
    var modified: timespec
    var size: Int
    /// When this entry was last checked against the disk (monotonic nanoseconds).
    var checkedAt: UInt64
}

/// The in-memory cache of `StaticFiles`, keyed by the relative path and validated by mtime + size.
final class StaticFileCache: @unchecked Sendable {
    /// Files larger than this are served but not kept.
    static let maxCachedFileSize = 4 * 1024 * 1024
    static let maxEntries = 2048
    /// Entries younger than this are served without touching the disk.
    static let revalidateAfter: UInt64 = 1_000_000_000

    private let entries = Locked<[String: StaticFile]>([:])

    func hasFreshEntry(relativePath: String) -> Bool {
        let now = MonotonicClock.nanoseconds()
        return entries.withLock { $0[relativePath].map { now &- $0.checkedAt < StaticFileCache.revalidateAfter } ?? false }
    }

    /// The file at `relativePath` under `root`, or nil when it is missing, not a regular file or
    /// resolves outside `root`.
    func file(relativePath: String, root: String) -> StaticFile? {
        let now = MonotonicClock.nanoseconds()
        let cached = entries.withLock { $0[relativePath] }
        if let cached, now &- cached.checkedAt < StaticFileCache.revalidateAfter { return cached }

        guard let resolved = StaticFileCache.resolve(relativePath, root: root) else {
            entries.withLock { _ = $0.removeValue(forKey: relativePath) }
            return nil
        }
        var info = stat()
        guard stat(resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let modified = StaticFileCache.modificationTime(info)
        if var cached, cached.size == Int(info.st_size),
           cached.modified.tv_sec == modified.tv_sec, cached.modified.tv_nsec == modified.tv_nsec {
            cached.checkedAt = now
            entries.withLock { $0[relativePath] = cached }
            return cached
        }
        guard let data = FileManager.default.contents(atPath: resolved) else { return nil }
        let bytes = [UInt8](data)
        let contentType = MediaType.forFile(named: relativePath)
        var gzipped: [UInt8]?
        if bytes.count >= Gzip.minimumSize, Gzip.isCompressible(contentType: contentType),
           let compressed = Gzip.compress(bytes, level: 9), compressed.count < bytes.count {
            gzipped = compressed
        }
        let file = StaticFile(bytes: bytes, gzipped: gzipped, etag: ETag.strong(for: bytes), contentType: contentType,
                              modified: modified, size: bytes.count, checkedAt: now)
        if bytes.count <= StaticFileCache.maxCachedFileSize {
            entries.withLock { entries in
                if entries.count >= StaticFileCache.maxEntries { entries.removeAll() }
                entries[relativePath] = file
            }
        }
        return file
    }

    /// `root/relativePath` with symlinks resolved, if it still lies under `root`.
    static func resolve(_ relativePath: String, root: String) -> String? {
        guard let resolved = realpath(root + "/" + relativePath, nil) else { return nil }
        defer { free(resolved) }
        let path = String(cString: resolved)
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(prefix) ? path : nil
    }

    private static func modificationTime(_ info: stat) -> timespec {
        #if canImport(Darwin)
        return info.st_mtimespec
        #else
        return info.st_mtim
        #endif
    }
}

/// Monotonic time for timeouts and cache ages.
enum MonotonicClock {
    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
