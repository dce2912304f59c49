import Foundation
import Testing
@testable import ExperimentHarness

private func slurmOptions(
    shards: Int = 3, runCount: Int = 12, partition: String? = "cpu", time: String = "01:30:00", cpus: Int = 4
) -> SlurmJobOptions {
    SlurmJobOptions(
        executable: "/opt/mb/bin/metricbench", spec: "/home/ana/exp/ci.yaml", out: "/shared/results/ci",
        experiment: "ci", runCount: runCount, shards: shards, partition: partition, time: time, cpusPerTask: cpus)
}

private func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

private func slurmError(_ body: () throws -> String) -> SlurmError? {
    do {
        _ = try body()
        return nil
    } catch let e as SlurmError {
        return e
    } catch {
        return nil
    }
}

@Test func arrayScriptHasOneTaskPerShard() throws {
    let text = try SlurmScript.arrayScript(slurmOptions(shards: 3))
    #expect(text.hasPrefix("#!/bin/bash\n"))
    #expect(lines(text).contains("#SBATCH --array=0-2"))
    #expect(lines(text).contains("#SBATCH --partition=cpu"))
    #expect(lines(text).contains("#SBATCH --time=01:30:00"))
    #expect(lines(text).contains("#SBATCH --cpus-per-task=4"))
    #expect(lines(text).contains("#SBATCH --output=/shared/results/ci/slurm/logs/ci-%A_%a.out"))
}

@Test func sbatchDirectivesComeBeforeAnyCommand() throws {
    // sbatch stops reading #SBATCH lines at the first command.
    let text = try SlurmScript.arrayScript(slurmOptions())
    let all = lines(text)
    let lastDirective = try #require(all.lastIndex { $0.hasPrefix("#SBATCH") })
    #expect(all[1...lastDirective].allSatisfy { $0.hasPrefix("#") })
}

@Test func eachTaskRunsItsShardWithThreadsFromTheAllocation() throws {
    let text = try SlurmScript.arrayScript(slurmOptions(shards: 5))
    #expect(lines(text).contains("SHARDS=5"))
    #expect(text.contains("--shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\""))
    #expect(lines(text).contains("THREADS=\"${SLURM_CPUS_PER_TASK:-1}\""))
    #expect(lines(text).contains("export OPENBLAS_NUM_THREADS=\"$THREADS\""))
    let run = try #require(lines(text).first { $0.hasPrefix("exec ") })
    #expect(run == "exec \"$METRICBENCH\" run \"$SPEC\" --shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\" --out \"$OUT\" --no-report --threads \"$THREADS\"")
}

@Test func scriptsNameTheBinarySpecAndResultsByAbsolutePath() throws {
    let text = try SlurmScript.arrayScript(slurmOptions())
    #expect(lines(text).contains("METRICBENCH=/opt/mb/bin/metricbench"))
    #expect(lines(text).contains("SPEC=/home/ana/exp/ci.yaml"))
    #expect(text.contains("OUT=/shared/results/ci "))
    let report = try SlurmScript.reportScript(slurmOptions())
    #expect(lines(report).contains("\"$METRICBENCH\" report \"$OUT\""))
    #expect(lines(report).contains("METRICBENCH=/opt/mb/bin/metricbench"))
}

@Test func reportJobRunsAfterTheWholeArrayHoweverItEnded() throws {
    let o = slurmOptions()
    #expect(SlurmScript.reportSubmitArguments(o, arrayJobID: "4711")
        == ["--parsable", "--dependency=afterany:4711", "/shared/results/ci/slurm/ci-report.sbatch"])
    let submit = try SlurmScript.submitScript(o)
    #expect(submit.contains("sbatch --parsable --dependency=afterany:$ARRAY /shared/results/ci/slurm/ci-report.sbatch"))
    #expect(submit.contains("sbatch --parsable /shared/results/ci/slurm/ci-array.sbatch"))
}

@Test func pathsWithBlanksAreQuoted() throws {
    var o = slurmOptions()
    o.out = "/shared/my results/ci"
    let text = try SlurmScript.arrayScript(o)
    #expect(text.contains("OUT='/shared/my results/ci'"))
    #expect(lines(text).contains("#SBATCH --output=\"/shared/my results/ci/slurm/logs/ci-%A_%a.out\""))
}

@Test func withoutPartitionTheLineIsLeftForTheUser() throws {
    let text = try SlurmScript.arrayScript(slurmOptions(partition: nil))
    #expect(lines(text).contains("##SBATCH --partition=CHANGE_ME"))
    #expect(!text.contains("#SBATCH --partition=cpu"))
}

@Test func badOptionsAreClearErrors() {
    #expect(slurmError { try SlurmScript.arrayScript(slurmOptions(shards: 0)) }?.description.contains("at least 1") == true)
    #expect(slurmError { try SlurmScript.arrayScript(slurmOptions(shards: 13, runCount: 12)) }?.description.contains("more than the 12 run(s)") == true)
    #expect(slurmError { try SlurmScript.arrayScript(slurmOptions(time: "90 minutes")) }?.description.contains("HH:MM:SS") == true)
    #expect(slurmError { try SlurmScript.arrayScript(slurmOptions(time: "01:75:00")) } != nil)
    #expect(slurmError { try SlurmScript.arrayScript(slurmOptions(cpus: 0)) }?.description.contains("--cpus-per-task") == true)
    #expect(slurmError { try SlurmScript.arrayScript(slurmOptions(partition: "a b")) }?.description.contains("--partition") == true)
    var relative = slurmOptions()
    relative.out = "results/ci"
    #expect(slurmError { try SlurmScript.arrayScript(relative) }?.description.contains("absolute") == true)
}

@Test func acceptsTheWallTimeFormsSlurmTakes() throws {
    for t in ["00:10:00", "120:00:00", "2-00:00:00"] {
        #expect(slurmError { try SlurmScript.arrayScript(slurmOptions(time: t)) } == nil, "\(t)")
    }
}

@Test func defaultsFollowTheRunCount() {
    #expect(SlurmScript.defaultShards(runCount: 12) == 12)
    #expect(SlurmScript.defaultShards(runCount: 150) == 32)
    #expect(SlurmScript.runsPerShard(runCount: 12, shards: 5) == 3)
    // 2 × 3 runs × 200 s = 20 min; the floor is 10 min; hours are not wrapped into days.
    #expect(SlurmScript.defaultTime(runsPerShard: 3, secondsPerRun: 200) == "00:20:00")
    #expect(SlurmScript.defaultTime(runsPerShard: 1, secondsPerRun: 1) == "00:10:00")
    #expect(SlurmScript.defaultTime(runsPerShard: 100, secondsPerRun: 600) == "33:20:00")
}

@Test func readsTheJobIDThatSbatchParsablePrints() {
    #expect(SlurmScript.parseJobID("4711\n") == "4711")
    #expect(SlurmScript.parseJobID("4711;cluster\n") == "4711")
    #expect(SlurmScript.parseJobID("sbatch: error: Batch job submission failed") == nil)
}

@Test func concurrentShardsRemoveOnlyTheirOwnLeftovers() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-leftovers-\(UInt64.random(in: 0...UInt64.max))").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try RunStore(directory: dir)
    for key in ["aaa-s0", "bbb-s0"] {
        FileManager.default.createFile(atPath: store.runsDirectory + "/.\(key).json.tmp-1-2", contents: Data())
    }
    #expect(store.removeLeftovers(of: ["aaa-s0"]) == 1)
    let left = try FileManager.default.contentsOfDirectory(atPath: store.runsDirectory)
    #expect(left == [".bbb-s0.json.tmp-1-2"])
}

/// An untuned plan is cut into disjoint shards of runs; a tuned one only in its first stage, and
/// the header must not promise the tuned one's tasks a fixed share of every run.
@Test func theHeaderSaysHowATunedSpecIsShared() throws {
    let plain = lines(try SlurmScript.arrayScript(slurmOptions(shards: 3, runCount: 12)))
    #expect(plain[1] == "# MetricBench on Slurm: experiment 'ci', 12 run(s) in 3 shard(s)")
    #expect(plain[2] == "# (at most 4 run(s) each). Task i of the array runs shard i/3 of the plan;")
    #expect(!plain.contains { $0.contains("tuning stage") })
    var options = slurmOptions(shards: 3, runCount: 40)
    options.firstTuningStage = 16
    let text = try SlurmScript.arrayScript(options)
    let tuned = lines(text)
    #expect(tuned[1] == "# MetricBench on Slurm: experiment 'ci', tuned: up to 40 trial and final run(s)")
    #expect(tuned[2] == "# in 3 shard(s). Task i of the array runs shard i/3 of the first tuning stage's")
    #expect(tuned[3].hasPrefix("# 16 trial run(s) (halving's first rung"))
    #expect(!text.contains("at most"))
    #expect(!text.contains("the shards are disjoint"))
    #expect(text.contains("submit the array again"))
    // The header stays comments above the first #SBATCH line, and the command is the same.
    let firstDirective = try #require(tuned.firstIndex { $0.hasPrefix("#SBATCH") })
    #expect(tuned[1..<firstDirective].allSatisfy { $0.hasPrefix("#") })
    #expect(tuned.contains { $0.hasPrefix("exec \"$METRICBENCH\" run \"$SPEC\" --shard ") })
}

/// A tuned spec shards only its first stage: more tasks than its trial runs is an error, and one
/// task's time must cover its share plus, at worst, every later trial and final run.
@Test func aTunedSpecShardsOnlyItsFirstStage() throws {
    var options = slurmOptions(shards: 3, runCount: 40)
    options.firstTuningStage = 16
    #expect(options.mostRunsOfOneTask == 6 + 24)
    #expect(slurmOptions(shards: 3, runCount: 40).mostRunsOfOneTask == 14)
    options.shards = 17
    let error = try #require(slurmError { try SlurmScript.arrayScript(options) })
    #expect(error.description.contains("--shards 17 is more than the 16 trial run(s) of the first tuning stage"))
    options.shards = 16
    #expect(slurmError { try SlurmScript.arrayScript(options) } == nil)
}
