import NumericCore

/// Class-disjoint validation folds of the training classes (as MLRC's 4 folds).
///
/// The class ids are permuted by a generator seeded with `seed` and dealt
/// out in turn, so fold sizes differ by at most one and every class is in
/// exactly one fold. A trial of fold f trains on the other folds' classes
/// and is scored on fold f's, which the model never saw — as the test
/// classes will be.
///
/// Each fold needs at least `minimumClassesPerFold` classes: recall, MAP@R
/// and the clustering metrics compare a sample's neighbours of its own class
/// with those of others, which needs two classes. So F folds need 2F classes,
/// and leave-one-class-out is not offered: a one-class fold has no negatives.
/// Fashion-MNIST's 5 training classes therefore allow `folds: 2` at most
/// (folds of 3 and 2 classes, training on the other 2 or 3).
public struct ValidationFolds: Sendable, Equatable {
    /// The class ids of each fold, ascending.
    public let classes: [[Int32]]

    public static let minimumClassesPerFold = 2

    /// The fewest training classes `folds` folds need.
    public static func minimumClasses(folds: Int) -> Int { folds * minimumClassesPerFold }

    public init(classes ids: [Int32], folds: Int, seed: UInt64) throws {
        precondition(folds >= 1)
        let distinct = Array(Set(ids)).sorted()
        guard distinct.count >= Self.minimumClasses(folds: folds) else {
            throw TuningError.tooFewClasses(classes: distinct.count, folds: folds)
        }
        var order = distinct
        var rng = SplitMix64.derived(seed: seed, stream: 0x464F_4C44)
        rng.shuffle(&order)
        var out = Array(repeating: [Int32](), count: folds)
        for (i, c) in order.enumerated() { out[i % folds].append(c) }
        classes = out.map { $0.sorted() }
    }
}
