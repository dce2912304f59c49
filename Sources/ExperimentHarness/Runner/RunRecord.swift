import Foundation

/// The outcome of a run.
public enum RecordStatus: String, Codable, Sendable {
    /// Trained and evaluated.
    case ok
    /// The loss or gradient became non-finite; `reason` and `divergedEpoch` say where.
    case diverged
    /// An error stopped the run (bad data file, impossible batch); `reason` says which.
    case failed
}

/// Training statistics of one epoch.
public struct EpochRecord: Codable, Hashable, Sendable {
    public var epoch: Int
    public var loss: Double
    public var activeFraction: Double
    public var seconds: Double

    public init(epoch: Int, loss: Double, activeFraction: Double, seconds: Double) {
        self.epoch = epoch
        self.loss = loss
        self.activeFraction = activeFraction
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case epoch, loss, seconds
        case activeFraction = "active_fraction"
    }
}

/// One point of a curve (ROC: x = FAR, y = VAL; 2-D map: x, y, label).
public struct CurvePoint: Codable, Hashable, Sendable {
    public var x: Double
    public var y: Double
    public var label: Int32?

    public init(x: Double, y: Double, label: Int32? = nil) {
        self.x = x
        self.y = y
        self.label = label
    }
}

/// Everything known about one run, written atomically to `runs/<key>.json` (DESIGN §9).
public struct RunRecord: Codable, Sendable {
    public var key: String
    public var experiment: String
    public var variantID: String
    public var seed: UInt64
    public var configuration: RunConfiguration
    /// The dataset's fingerprint when it is generated from system files (glyphs:
    /// the font files and options), so results of different fonts never mix silently.
    public var datasetFingerprint: String?
    public var status: RecordStatus
    public var reason: String?
    public var divergedEpoch: Int?
    /// Metric name (DESIGN §6 spelling) → value.
    public var metrics: [String: Double]
    public var epochs: [EpochRecord]
    /// The loss curve every few steps (at most 200 points); nil in records written before it existed.
    public var curve: [StepRecord]?
    public var trainSeconds: Double
    public var evalSeconds: Double
    public var samplesPerSecond: Double
    /// Peak resident memory of the process up to the end of this run (runs of one
    /// `metricbench run` share a process, so this is an upper bound for the run).
    public var peakMemoryBytes: Int
    public var threads: Int
    /// The OpenBLAS kernel set of the process that trained the run (``BLAS/kernel``);
    /// nil in records written before it was recorded.
    public var blasKernel: String?
    public var codeVersion: String
    public var finishedAt: String
    /// The ROC curve of the test pairs (VAL against FAR), for plots.
    public var roc: [CurvePoint]
    /// A 2-D PCA map of (a sample of) the test embeddings, for plots.
    public var map2D: [CurvePoint]

    public init(run: PlannedRun, experiment: String) {
        key = run.key
        self.experiment = experiment
        variantID = run.variant.id
        seed = run.seed
        configuration = run.variant.configuration
        status = .failed
        metrics = [:]
        epochs = []
        trainSeconds = 0
        evalSeconds = 0
        samplesPerSecond = 0
        peakMemoryBytes = 0
        threads = 1
        codeVersion = CodeVersion.current
        finishedAt = ""
        roc = []
        map2D = []
    }

    enum CodingKeys: String, CodingKey {
        case key, experiment, seed, configuration, status, reason, metrics, epochs, threads, roc, curve
        case variantID = "variant_id", divergedEpoch = "diverged_epoch", datasetFingerprint = "dataset_fingerprint"
        case trainSeconds = "train_seconds", evalSeconds = "eval_seconds"
        case samplesPerSecond = "samples_per_second", peakMemoryBytes = "peak_memory_bytes"
        case blasKernel = "blas_kernel"
        case codeVersion = "code_version", finishedAt = "finished_at", map2D = "map_2d"
    }
}

/// The version of the code that produced a record: the git commit when known,
/// with `-dirty` when source files (not results) differ from it.
public enum CodeVersion {
    public static let current: String = {
        if let v = ProcessInfo.processInfo.environment["METRICBENCH_CODE_VERSION"], !v.isEmpty { return v }
        guard let commit = git(["describe", "--always"]), !commit.isEmpty else { return "unknown" }
        // Results written by a running sweep must not mark the code as modified.
        let changes = git(["status", "--porcelain", "--", ".", ":(exclude)results"]) ?? ""
        return changes.isEmpty ? commit : commit + "-dirty"
    }()

    static func git(_ arguments: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git"] + arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do {
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { return nil }
            return String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            return nil
        }
    }
}
