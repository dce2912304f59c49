import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive claim on one run of a results folder: `flock` on `runs/<key>.lock`.
///
/// Two processes sweeping one folder (two `metricbench run`s, or Slurm shards)
/// each claim a run before training it and skip the runs another process
/// holds, so no run is trained twice and no process removes the temporary
/// record another is writing. The kernel drops the lock when its holder dies,
/// even by `kill -9`, so a claim never outlives a killed sweep.
///
/// The lock file is removed by its holder when it lets go. A process that
/// opened the file just before it was removed would then hold a lock on a
/// file no longer in the folder, so `claim` checks, once it has the lock, that
/// the path still names the file it locked, and tries again when it does not.
public final class RunClaim {
    public let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Claims `runs/<key>.lock` in `runsDirectory`; nil when another process holds it,
    /// unless `wait`, which blocks until that process lets go (or dies).
    public static func claim(key: String, in runsDirectory: String, wait: Bool = false) throws -> RunClaim? {
        let path = runsDirectory + "/" + key + ".lock"
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw SpecError(file: path, line: nil, key: "", message: "cannot create the run's lock file: \(String(cString: strerror(errno)))")
            }
            var locked = flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB)
            while locked != 0 && errno == EINTR { locked = flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) }
            guard locked == 0 else {
                let err = errno
                close(fd)
                if err == EWOULDBLOCK { return nil }
                throw SpecError(file: path, line: nil, key: "", message: "cannot lock the run: \(String(cString: strerror(err)))")
            }
            var held = stat(), named = stat()
            if fstat(fd, &held) == 0, stat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev {
                return RunClaim(path: path, descriptor: fd)
            }
            // The holder before us removed the file between our open and our lock: start over.
            close(fd)
        }
    }

    /// Removes the lock file and lets go of the claim.
    public func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
