/// What a Slurm job array of shards needs to know: the binary, the experiment,
/// where its results go, and the resources of one shard.
public struct SlurmJobOptions: Sendable, Equatable {
    /// Absolute path of the `metricbench` binary the compute nodes run.
    public var executable: String
    /// Absolute path of the experiment file.
    public var spec: String
    /// Absolute path of the results folder (on a filesystem every node shares).
    public var out: String
    /// The experiment's name, for job names and file names.
    public var experiment: String
    /// Runs in the plan (variants × seeds).
    public var runCount: Int
    /// Array tasks; task `i` runs shard `i/shards`.
    public var shards: Int
    /// `nil` leaves the `--partition` line commented out (the cluster's default partition).
    public var partition: String?
    /// Wall-clock limit of one shard, `[D-]HH:MM:SS`.
    public var time: String
    /// CPUs of one shard; its BLAS threads follow them.
    public var cpusPerTask: Int
    /// For a spec with `tune:`, the trial runs of its first tuning stage: the only part that is cut
    /// into shards (see `Tuner`); `runCount` then counts every trial and final run. `nil`: untuned.
    public var firstTuningStage: Int?

    public init(
        executable: String, spec: String, out: String, experiment: String, runCount: Int,
        shards: Int, partition: String? = nil, time: String, cpusPerTask: Int = 1, firstTuningStage: Int? = nil
    ) {
        self.executable = executable
        self.spec = spec
        self.out = out
        self.experiment = experiment
        self.runCount = runCount
        self.shards = shards
        self.partition = partition
        self.time = time
        self.cpusPerTask = cpusPerTask
        self.firstTuningStage = firstTuningStage
    }

    /// The most runs one array task may have to run: its share of the plan, or for a tuned spec its
    /// share of the first stage and, in the worst case, every later trial and final run.
    public var mostRunsOfOneTask: Int {
        let sharded = firstTuningStage ?? runCount
        return (sharded + shards - 1) / max(1, shards) + (runCount - sharded)
    }

    /// `OUT/slurm`: the scripts, the submit helper and `logs/`.
    public var slurmDirectory: String { out + "/slurm" }
    public var logDirectory: String { slurmDirectory + "/logs" }
    public var arrayScriptPath: String { slurmDirectory + "/\(experiment)-array.sbatch" }
    public var reportScriptPath: String { slurmDirectory + "/\(experiment)-report.sbatch" }
    public var submitScriptPath: String { slurmDirectory + "/submit.sh" }
}
