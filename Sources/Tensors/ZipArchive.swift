/// The central directory of a zip archive (npz and PyTorch `.pt` files are zips): member names,
/// compression methods, sizes and where each member's data lies. Strict: zip64 sizes and
/// offsets are resolved and every range is checked against the file before it is used.
struct ZipArchive {
    /// The members, in central-directory order.
    let entries: [Entry]

    /// Reads the central directory of `file`.
    init(_ file: MappedFile) throws {
        let directory = try Self.centralDirectory(file)
        var reader = ByteReader(file.bytes, file: file.name, position: directory.offset)
        var entries: [Entry] = []
        for _ in 0..<directory.entries { entries.append(try Self.entry(&reader, file: file)) }
        self.entries = entries
    }


    struct Entry {
        let name: String
        let method: Int
        let flags: UInt16
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    /// Finds the end-of-central-directory record (and its zip64 form) and returns where the
    /// central directory starts and how many entries it has.
    static func centralDirectory(_ file: MappedFile) throws -> (offset: Int, entries: Int) {
        let bytes = file.bytes
        func corrupt(_ message: String) -> TensorFileError { TensorFileError(.corrupt, file: file.name, message) }
        guard bytes.count >= 22 else {
            throw TensorFileError(.truncated, file: file.name, "is too short (\(bytes.count) bytes) to be a zip archive.")
        }
        // The record is 22 bytes plus a comment of up to 65535 bytes, at the very end.
        var eocd = -1
        var position = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while position >= lowest {
            if bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self) == UInt32(0x0605_4B50).littleEndian {
                eocd = position
                break
            }
            position -= 1
        }
        guard eocd >= 0 else { throw corrupt("has no zip end-of-central-directory record; it is truncated or not a zip archive.") }
        var reader = ByteReader(bytes, file: file.name, position: eocd + 4)
        let disk = try reader.read(UInt16.self, "the end record")
        _ = try reader.read(UInt16.self, "the end record")
        _ = try reader.read(UInt16.self, "the end record")
        var entries = UInt64(try reader.read(UInt16.self, "the end record"))
        var size = UInt64(try reader.read(UInt32.self, "the end record"))
        var offset = UInt64(try reader.read(UInt32.self, "the end record"))
        guard disk == 0 || disk == 0xFFFF else {
            throw TensorFileError(.unsupported, file: file.name, "is a multi-disk zip archive.")
        }
        if entries == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            // zip64: a locator just before the record points at the zip64 end record.
            var locator = ByteReader(bytes, file: file.name, position: eocd - 20)
            guard eocd >= 20, try locator.read(UInt32.self, "the zip64 locator") == 0x0706_4B50 else {
                throw corrupt("needs a zip64 end record but has no zip64 locator.")
            }
            _ = try locator.read(UInt32.self, "the zip64 locator")
            let recordOffset = try locator.read(UInt64.self, "the zip64 locator")
            guard recordOffset <= UInt64(eocd) else { throw corrupt("its zip64 locator points past the end record.") }
            var record = ByteReader(bytes, file: file.name, position: Int(recordOffset))
            guard try record.read(UInt32.self, "the zip64 end record") == 0x0606_4B50 else {
                throw corrupt("its zip64 end record has a bad signature.")
            }
            try record.skip(8 + 2 + 2 + 4 + 4 + 8, "the zip64 end record")
            entries = try record.read(UInt64.self, "the zip64 end record")
            size = try record.read(UInt64.self, "the zip64 end record")
            offset = try record.read(UInt64.self, "the zip64 end record")
        }
        guard offset <= UInt64(eocd), size <= UInt64(eocd) - offset else {
            throw TensorFileError(.truncated, file: file.name, "its central directory (\(size) bytes at \(offset)) lies outside the archive.")
        }
        guard entries <= size / 46 else {
            throw TensorFileError(.tooLarge, file: file.name, "claims \(entries) zip entries, more than its central directory can hold.")
        }
        return (Int(offset), Int(entries))
    }

    /// Reads one central-directory entry, resolving zip64 sizes and offsets.
    static func entry(_ reader: inout ByteReader, file: MappedFile) throws -> Entry {
        reader.context = nil
        guard try reader.read(UInt32.self, "a central directory entry") == 0x0201_4B50 else {
            throw TensorFileError(.corrupt, file: file.name, "a central directory entry has a bad signature (at byte \(reader.position - 4)).")
        }
        try reader.skip(4, "a central directory entry")  // versions
        let flags = try reader.read(UInt16.self, "a central directory entry")
        let method = try reader.read(UInt16.self, "a central directory entry")
        try reader.skip(4, "a central directory entry")  // time, date
        let crc = try reader.read(UInt32.self, "a central directory entry")
        var compressedSize = UInt64(try reader.read(UInt32.self, "a central directory entry"))
        var size = UInt64(try reader.read(UInt32.self, "a central directory entry"))
        let nameLength = Int(try reader.read(UInt16.self, "a central directory entry"))
        let extraLength = Int(try reader.read(UInt16.self, "a central directory entry"))
        let commentLength = Int(try reader.read(UInt16.self, "a central directory entry"))
        try reader.skip(8, "a central directory entry")  // disk, attributes
        var localOffset = UInt64(try reader.read(UInt32.self, "a central directory entry"))
        let name = try reader.readString(count: UInt64(nameLength), "a member name")
        reader.context = name
        let extra = try reader.readBytes(extraLength, "the member's extra fields")
        try reader.skip(commentLength, "the member's comment")

        // zip64 extra field (id 1): the 64-bit values of those fields that are 0xFFFFFFFF, in order.
        var fields = ByteReader(extra, file: file.name)
        fields.context = name
        while fields.remaining >= 4 {
            let id = try fields.read(UInt16.self, "an extra field")
            let length = Int(try fields.read(UInt16.self, "an extra field"))
            var field = ByteReader(try fields.readBytes(length, "an extra field"), file: file.name)
            field.context = name
            guard id == 1 else { continue }
            if size == 0xFFFF_FFFF { size = try field.read(UInt64.self, "the zip64 size") }
            if compressedSize == 0xFFFF_FFFF { compressedSize = try field.read(UInt64.self, "the zip64 compressed size") }
            if localOffset == 0xFFFF_FFFF { localOffset = try field.read(UInt64.self, "the zip64 offset") }
        }
        guard flags & 1 == 0 else {
            throw TensorFileError(.unsupported, file: file.name, item: name, "is encrypted.")
        }
        let limit = UInt64(file.count)
        guard compressedSize <= limit, localOffset <= limit, size <= UInt64(Int.max / 2) else {
            throw TensorFileError(.truncated, file: file.name, item: name,
                                  "its sizes or offset (\(compressedSize) bytes at \(localOffset)) lie outside the archive.")
        }
        return Entry(name: name, method: Int(method), flags: flags, crc: crc, compressedSize: Int(compressedSize),
                     size: Int(size), localHeaderOffset: Int(localOffset))
    }

    /// The byte range of a member's (possibly compressed) data, after its local header.
    static func memberData(_ entry: Entry, file: MappedFile) throws -> Range<Int> {
        var reader = ByteReader(file.bytes, file: file.name, position: entry.localHeaderOffset)
        reader.context = entry.name
        guard try reader.read(UInt32.self, "the member's local header") == 0x0403_4B50 else {
            throw TensorFileError(.corrupt, file: file.name, item: entry.name, "its local header has a bad signature.")
        }
        try reader.skip(22, "the member's local header")
        let nameLength = Int(try reader.read(UInt16.self, "the member's local header"))
        let extraLength = Int(try reader.read(UInt16.self, "the member's local header"))
        try reader.skip(nameLength + extraLength, "the member's local header")
        try reader.need(entry.compressedSize, for: "the member's data (\(entry.compressedSize) bytes)")
        return reader.position..<(reader.position + entry.compressedSize)
    }
}
