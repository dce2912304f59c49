import ExperimentHarness
import Foundation

/// Shows a sweep's progress on stderr: one updating line on a terminal, one line per finished run otherwise.
///
/// On a terminal the status line is rewritten in place (`\r`, then erase to the
/// end of the line) and kept shorter than the terminal, so it never wraps; runs
/// that diverge or fail are printed above it and stay. In a log (CI, `2>file`,
/// a pipe) every finished run gets one plain line with the counts and the ETA,
/// so the log reads top to bottom without control characters.
final class ProgressDisplay: @unchecked Sendable {
    let terminal: Bool
    let columns: Int
    private var statusShown = false

    init(terminal: Bool, columns: Int) {
        self.terminal = terminal
        self.columns = max(40, columns)
    }

    /// For stderr: a terminal when `isatty(2)`; its width from `COLUMNS`, else 80.
    static func forStandardError() -> ProgressDisplay {
        let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? 80
        return ProgressDisplay(terminal: isatty(2) != 0, columns: columns)
    }

    /// The runner calls this one event at a time.
    func update(_ p: RunProgress) {
        if terminal {
            var out = ""
            if case .finished(let record) = p.event, record.status != .ok {
                out += "\r\u{1B}[K" + Runner.describe(record, p.done, p.total) + "\n"
            }
            out += "\r\u{1B}[K" + Self.fitted(Self.status(p), columns: columns - 1)
            statusShown = true
            write(out)
        } else if case .finished(let record) = p.event {
            write(Runner.describe(record, p.done, p.total) + " · " + Self.counts(p) + "\n")
        }
    }

    /// Clears the status line, so the lines that follow start at column 0.
    func finish() {
        guard terminal, statusShown else { return }
        write("\r\u{1B}[K")
        statusShown = false
    }

    /// `[12/105] 11 ok · 0 diverged · 1 failed · 0:41 elapsed · ETA 5:10 · running triplet/all b128 d128 seed 2`
    static func status(_ p: RunProgress) -> String {
        var line = "[\(p.done)/\(p.total)] " + counts(p)
        if case .started(let run) = p.event {
            let c = run.variant.configuration
            line += " · running \(c.loss.loss.rawValue)/\(c.loss.mining.rawValue) b\(c.train.batchSize) d\(c.embeddingDim) seed \(run.seed)"
        }
        return line
    }

    /// `11 ok · 0 diverged · 1 failed · 0:41 elapsed · ETA 5:10`
    static func counts(_ p: RunProgress) -> String {
        let eta = p.etaSeconds.map(clock) ?? "…"
        return "\(p.ok) ok · \(p.diverged) diverged · \(p.failed) failed · \(clock(p.elapsedSeconds)) elapsed · ETA \(eta)"
    }

    /// `m:ss`, or `h:mm:ss` from an hour.
    static func clock(_ seconds: Double) -> String {
        let s = Int(max(0, seconds).rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// `text` cut to `columns` characters, with an ellipsis when cut.
    static func fitted(_ text: String, columns: Int) -> String {
        text.count <= columns ? text : String(text.prefix(columns - 1)) + "…"
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
