import CSQLite

/// Schema v1's example groups and the SQL function with which migration 0002 re-encodes them:
/// the aggregate `saescope_pack_groups(latent_id, grp, min, max, contains, count, examples)`
/// over one latent's v1 rows is its v2 `examples.groups` blob (`Blob.pack(groups:)`).
///
/// In v1 a group's `examples` blob held its `count` snippets back to back, each:
/// u32 document, u32 position, u32 n, n × u32 token ids, n × f32 activations (little-endian).
enum ExampleGroupsV1 {
    /// Registers `saescope_pack_groups` on `db`; the migrator does before it runs migrations.
    static func register(_ db: Database) throws {
        let rc = sqlite3_create_function_v2(db.handle, "saescope_pack_groups", 7, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                            nil, nil, packGroupsStep, packGroupsFinal, nil)
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: db.lastErrorMessage, sql: nil) }
    }

    /// A v1 group's snippets; nil unless the bytes are exactly `count` well-formed ones.
    static func examples(_ raw: UnsafeRawBufferPointer, count: Int) -> [Example]? {
        guard raw.count % 4 == 0 else { return nil }
        let words = PackedWords(raw)
        var examples: [Example] = []
        var i = 0
        while i < words.count {
            guard words.count - i >= 3 else { return nil }
            let n = Int(words[i + 2])
            guard n <= (words.count - i - 3) / 2 else { return nil }
            let ids = words[(i + 3)..<(i + 3 + n)]
            let activations = words[(i + 3 + n)..<(i + 3 + 2 * n)].map { Float(bitPattern: $0) }
            examples.append(Example(tokenIDs: Array(ids), activations: activations, document: Int(words[i]), position: Int(words[i + 1])))
            i += 3 + 2 * n
        }
        return examples.count == count ? examples : nil
    }
}

/// One latent's groups, collected across the aggregate's rows.
private final class GroupsAccumulator {
    var groups: [(number: Int, group: IntervalGroup)] = []
    var error: String?
}

/// The accumulator kept in SQLite's aggregate context; `create` makes it on the first row.
private func accumulator(_ context: OpaquePointer?, create: Bool) -> (slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>, GroupsAccumulator)? {
    let size = create ? Int32(MemoryLayout<UnsafeMutableRawPointer?>.size) : 0
    guard let raw = sqlite3_aggregate_context(context, size) else { return nil }
    let slot = raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    if let existing = slot.pointee { return (slot, Unmanaged<GroupsAccumulator>.fromOpaque(existing).takeUnretainedValue()) }
    guard create else { return nil }
    let fresh = GroupsAccumulator()
    slot.pointee = Unmanaged.passRetained(fresh).toOpaque()
    return (slot, fresh)
}

private func packGroupsStep(_ context: OpaquePointer?, _ argc: Int32, _ argv: UnsafeMutablePointer<OpaquePointer?>?) {
    guard let argv, argc == 7, let (_, groups) = accumulator(context, create: true) else {
        return sqlite3_result_error_nomem(context)
    }
    guard groups.error == nil else { return }
    let latent = sqlite3_value_int64(argv[0]), number = Int(sqlite3_value_int64(argv[1]))
    let count = Int(sqlite3_value_int64(argv[5]))
    let bytes = Int(sqlite3_value_bytes(argv[6]))
    let raw = UnsafeRawBufferPointer(start: bytes > 0 ? sqlite3_value_blob(argv[6]) : nil, count: bytes)
    guard (0..<IndexWriter.groupsPerLatent).contains(number), let examples = ExampleGroupsV1.examples(raw, count: count) else {
        groups.error = "latent \(latent), example group \(number) holds malformed examples"
        return
    }
    let group = IntervalGroup(min: sqlite3_value_double(argv[2]), max: sqlite3_value_double(argv[3]),
                              contains: sqlite3_value_double(argv[4]), examples: examples)
    groups.groups.append((number, group))
}

private func packGroupsFinal(_ context: OpaquePointer?) {
    guard let (slot, groups) = accumulator(context, create: false) else { return sqlite3_result_null(context) }
    defer {
        Unmanaged<GroupsAccumulator>.fromOpaque(slot.pointee!).release()
        slot.pointee = nil
    }
    if let error = groups.error { return sqlite3_result_error(context, error, -1) }
    var sorted = groups.groups.sorted { $0.number < $1.number }.map(\.group)
    // v1 showed a latent without a group 0 row as having no top examples.
    if groups.groups.allSatisfy({ $0.number != 0 }) { sorted.insert(IntervalGroup(min: 0, max: 0, contains: 1, examples: []), at: 0) }
    let blob = Blob.pack(groups: sorted)
    blob.withUnsafeBytes { sqlite3_result_blob64(context, $0.baseAddress, UInt64($0.count), SQLITE_TRANSIENT) }
}
