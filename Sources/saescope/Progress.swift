import Foundation

/// Progress of long work on stderr: a bar redrawn in place on a terminal, a plain line every
/// tenth of the way otherwise (logs, CI). The command prints its own one-line summary after.
final class Progress {
    let label: String
    let total: Int
    let unit: String
    private let started = Date()
    private let terminal = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast
    private var lastTenth = -1

    init(_ label: String, total: Int, unit: String) {
        self.label = label
        self.total = max(total, 1)
        self.unit = unit
    }

    func update(_ done: Int) {
        let elapsed = Date().timeIntervalSince(started)
        let rate = Double(done) / max(elapsed, 1e-3)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        if terminal {
            guard done >= total || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = Date()
            let width = 30, filled = width * min(done, total) / total
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = String(format: "\r%@ %@ %d/%d %@, %.0f %@/s, ETA %.0f s ", label, bar, done, total, unit, rate, unit, eta)
            FileHandle.standardError.write(Data(line.utf8))
            if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            let tenth = 10 * min(done, total) / total
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            note(String(format: "%@: %d/%d %@ (%d%%), %.0f %@/s", label, done, total, unit, tenth * 10, rate, unit))
        }
    }
}
