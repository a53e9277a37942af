/// The BPE model: merge ranks over token ids, and the merge loop that turns one word's bytes
/// into token ids.
///
/// The rule (GPT-2's, and Hugging Face's `Word::merge_all`): while some adjacent pair of symbols
/// has a merge, apply the one with the lowest rank, the leftmost if it occurs more than once.
/// A min-heap keyed by (rank, position) keeps that O(n log n) for very long words.
struct BPEMerges: Sendable {
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    private let table: [UInt64: UInt64]
    /// The id of the token that is each single byte.
    let byteIDs: [Int32]

    /// The bytes that have no token (`byteIDs` -1).
    let missingBytes: [UInt8]

    init(table: [UInt64: UInt64], byteIDs: [Int32]) {
        self.table = table
        self.byteIDs = byteIDs
        self.missingBytes = (0...255).filter { byteIDs[$0] < 0 }.map(UInt8.init)
    }

    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    var count: Int { table.count }

    /// The merge of `left` and `right`: its rank and the merged token's id.
    func merge(_ left: Int32, _ right: Int32) -> (rank: UInt32, id: Int32)? {
        guard let packed = table[BPEMerges.key(left, right)] else { return nil }
        return (UInt32(truncatingIfNeeded: packed >> 32), Int32(truncatingIfNeeded: packed & 0xFFFF_FFFF))
    }

    /// Appends the token ids of one word (its bytes) to `out`.
    ///
    /// A byte with no token of its own (SmolLM2 has none for 0x04, 0xF5…, bytes that rarely or
    /// never occur in UTF-8) is dropped, and the bytes on either side are merged separately, as
    /// Hugging Face's BPE does when the model has no unknown token.
    func encodeWord(_ word: ArraySlice<UInt8>, into out: inout [Int32]) {
        if !missingBytes.isEmpty, word.contains(where: { byteIDs[Int($0)] < 0 }) {
            for part in word.split(whereSeparator: { byteIDs[Int($0)] < 0 }) { encodeKnownBytes(part, into: &out) }
            return
        }
        encodeKnownBytes(word, into: &out)
    }

    private func encodeKnownBytes(_ word: ArraySlice<UInt8>, into out: inout [Int32]) {
        let n = word.count
        if n == 0 { return }
        if n == 1 { out.append(byteIDs[Int(word[word.startIndex])]); return }

        // Symbols as a doubly linked list over positions; a merged-away symbol gets id -1.
        var ids = word.map { byteIDs[Int($0)] }
        var next = Array(1...n)  // n means none
        var prev = Array(-1..<(n - 1))
        var heap = MinHeap()
        heap.reserve(n)
        for i in 0..<(n - 1) {
            if let m = merge(ids[i], ids[i + 1]) { heap.push(UInt64(m.rank) << 32 | UInt64(i)) }
        }
        while let top = heap.pop() {
            let i = Int(top & 0xFFFF_FFFF), rank = UInt32(top >> 32)
            let j = next[i]
            // Stale entries: the symbol was merged away, or either side changed since the push.
            guard ids[i] >= 0, j < n, let m = merge(ids[i], ids[j]), m.rank == rank else { continue }
            ids[i] = m.id
            ids[j] = -1
            next[i] = next[j]
            if next[i] < n { prev[next[i]] = i }
            if prev[i] >= 0, let left = merge(ids[prev[i]], ids[i]) {
                heap.push(UInt64(left.rank) << 32 | UInt64(prev[i]))
            }
            if next[i] < n, let right = merge(ids[i], ids[next[i]]) {
                heap.push(UInt64(right.rank) << 32 | UInt64(i))
            }
        }
        var i = 0
        while i < n { out.append(ids[i]); i = next[i] }
    }
}

/// A binary min-heap of packed (rank, position) keys.
struct MinHeap {
    private var items: [UInt64] = []

    mutating func reserve(_ n: Int) { items.reserveCapacity(n) }

    mutating func push(_ value: UInt64) {
        items.append(value)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[parent] <= items[i] { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        items[0] = last
        var i = 0
        let n = items.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < n && items[l] < items[smallest] { smallest = l }
            if r < n && items[r] < items[smallest] { smallest = r }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
        return top
    }
}
