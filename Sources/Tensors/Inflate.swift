import CZlib

/// Raw-deflate decompression (zip method 8) via zlib, into a buffer of exactly the size the
/// archive declares; the caller bounds that size before calling.
enum Inflate {
    /// Inflates `source` (raw deflate, no zlib header) into a new buffer of `size` bytes and
    /// checks that the stream ends exactly there and that its CRC-32 is `crc`.
    /// Throws `corrupt` naming `file` and `item` otherwise.
    static func raw(_ source: UnsafeRawBufferPointer, size: Int, crc: UInt32, file: String, item: String) throws -> MappedFile {
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 64)
        var adopted = false
        defer { if !adopted { output.deallocate() } }
        func corrupt(_ message: String) -> TensorFileError {
            TensorFileError(.corrupt, file: file, item: item, message)
        }

        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw corrupt("zlib could not start inflating it.")
        }
        defer { inflateEnd(&stream) }
        var consumed = 0
        var produced = 0
        var status = Z_OK
        // avail_in/avail_out are 32-bit; feed at most 1 GiB at a time.
        let chunk = 1 << 30
        while status == Z_OK {
            let inCount = min(chunk, source.count - consumed)
            let outCount = min(chunk, size - produced)
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress?.advanced(by: consumed).assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(inCount)
            stream.next_out = output.baseAddress?.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(outCount)
            status = inflate(&stream, Z_NO_FLUSH)
            consumed += inCount - Int(stream.avail_in)
            produced += outCount - Int(stream.avail_out)
            // Z_BUF_ERROR: no progress possible with all the input and output offered, so the
            // input ran out or the output is full; both are reported below.
        }
        guard status == Z_STREAM_END else {
            if status == Z_DATA_ERROR { throw corrupt("its deflated data is corrupt (\(stream.msg.map { String(cString: $0) } ?? "zlib data error")).") }
            throw corrupt(produced == size
                          ? "it inflates to more than the \(size) bytes its zip entry declares."
                          : "its deflated data ends after \(produced) of the \(size) bytes its zip entry declares.")
        }
        guard produced == size else {
            throw corrupt("it inflates to \(produced) bytes but its zip entry declares \(size).")
        }
        var crcValue: uLong = crc32(0, nil, 0)
        var checked = 0
        while checked < size {
            let count = min(chunk, size - checked)
            crcValue = crc32(crcValue, output.baseAddress?.advanced(by: checked).assumingMemoryBound(to: Bytef.self), uInt(count))
            checked += count
        }
        let actual = UInt32(truncatingIfNeeded: crcValue)
        guard actual == crc else {
            throw corrupt("its CRC-32 is \(String(actual, radix: 16)) but its zip entry says \(String(crc, radix: 16)).")
        }
        adopted = true
        return MappedFile(adopting: output, count: size, name: file)
    }
}
