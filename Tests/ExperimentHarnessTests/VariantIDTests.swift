import Foundation
import Testing
@testable import ExperimentHarness

private let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Published ids, pinned literally: canonical form 1 must keep producing them.
@Test func committedVariantIdsArePinned() throws {
    let ci = try ExperimentPlan(SpecParser.load(repository.appendingPathComponent("experiments/ci.yaml").path))
    let ids = Dictionary(uniqueKeysWithValues: ci.variants.map {
        ("\($0.configuration.loss.loss.rawValue)/\($0.configuration.loss.mining.rawValue)", $0.id)
    })
    #expect(ids == [
        "contrastive/all": "bd08a456aa2e", "contrastive/hard": "9a335a9d2cea",
        "triplet/all": "995dbb7cd239", "triplet/hard": "451345c23b5a",
        "lifted/all": "848ee3c2be76", "lifted/hard": "f991e447de9d",
    ])
    let ablation = try ExperimentPlan(SpecParser.load(repository.appendingPathComponent("experiments/ablation.yaml").path))
    let base = try #require(ablation.base)
    #expect(base.id == "750f561dc90b")
    #expect(ablation.variants.contains { $0.id == "1084b1ecc5ba" && $0.configuration.loss.loss == .contrastive && $0.configuration.loss.mining == .all })
}

/// Every record committed under `results/` still belongs to a variant of the
/// spec saved beside it: no published result is orphaned by a code change.
@Test func everyCommittedRecordMatchesAVariantOfItsSpec() throws {
    let results = repository.appendingPathComponent("results")
    let folders = try FileManager.default.contentsOfDirectory(atPath: results.path).sorted()
    var checked = 0
    for name in folders {
        let folder = results.appendingPathComponent(name)
        let spec = folder.appendingPathComponent("spec.yaml").path
        guard FileManager.default.fileExists(atPath: spec) else { continue }
        var plan = try ExperimentPlan(SpecParser.load(spec))
        // A tuned spec's runs are the chosen configurations, read off its trial records.
        if plan.spec.tune != nil { plan = try TuningReport.load(plan, directory: folder.path).finalPlan }
        let planned = Set(plan.runs.map(\.key))
        let records = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("runs").path)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
        #expect(!records.isEmpty, "\(name)")
        for key in records { #expect(planned.contains(key), "results/\(name)/runs/\(key).json matches no variant of its spec.yaml") }
        checked += records.count
    }
    #expect(checked >= 600)
}

/// A field added after canonical form 1 is written only when it leaves its default.
@Test func fieldsAtTheirDefaultStayOutOfTheCanonicalForm() throws {
    struct Later: Encodable {
        var kept = 1
        var added = 0.5
        enum CodingKeys: String, CodingKey { case kept, added }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(kept, forKey: .kept)
            try c.encode(added, forKey: .added, unlessEqualTo: 0.5)
        }
    }
    struct Before: Encodable { var kept = 1 }
    #expect(StableHash.id(of: Later()) == StableHash.id(of: Before()))
    #expect(StableHash.id(of: Later(added: 0.7)) != StableHash.id(of: Before()))
}
