import Testing
import NumericCore

// The one radix sort and radix select against the standard library's sort, with ties.

/// `n` keys of `distinct` different values (many ties when small), indices `0..<n` shuffled or in order.
private func keys(_ n: Int, distinct: Int, indexOrder: Bool, seed: UInt64) -> [UInt64] {
    var rng = SplitMix64(seed: seed)
    var indices = Array(0..<n)
    if !indexOrder {
        for i in stride(from: n - 1, to: 0, by: -1) { indices.swapAt(i, rng.nextInt(below: i + 1)) }
    }
    let values = (0..<max(distinct, 1)).map { _ in Float(rng.nextUniform()) * 4 - 1 }  // negatives too
    return indices.map { SortKey.make(values[rng.nextInt(below: values.count)], $0 &* 40_503) }
}

@Test(arguments: [0, 1, 2, 24, 25, 200, 1000, 5000])
func radixSortOfBothHalvesMatchesTheStandardSort(n: Int) {
    for distinct in [1, 3, 50, 100_000] {
        var a = keys(n, distinct: distinct, indexOrder: false, seed: UInt64(n * 7 + distinct))
        var temp = [UInt64](repeating: 0, count: n), histogram = [Int](repeating: 0, count: RadixSort.histogramSize)
        let expected = a.sorted()
        a.withUnsafeMutableBufferPointer { RadixSort.sort($0.baseAddress!, &temp, n, &histogram, by: .whole) }
        #expect(a == expected, "n \(n), \(distinct) distinct values")
    }
}

@Test(arguments: [2, 24, 25, 128, 1000, 5000])
func radixSortOfTheValueHalfIsStable(n: Int) {
    for distinct in [1, 3, 50, 100_000] {
        // Keys written in index order: a stable sort by value is the sort of the whole keys.
        var a = keys(n, distinct: distinct, indexOrder: true, seed: UInt64(n + distinct))
        var temp = [UInt64](repeating: 0, count: n), histogram = [Int](repeating: 0, count: RadixSort.histogramSize)
        let expected = a.sorted()
        a.withUnsafeMutableBufferPointer { RadixSort.sort($0.baseAddress!, &temp, n, &histogram, by: .value) }
        #expect(a == expected, "n \(n), \(distinct) distinct values")
    }
}

@Test func selectSmallestKeepsExactlyTheKSmallestKeys() {
    for (n, distinct) in [(2, 1), (9, 2), (300, 1), (1125, 3), (1125, 40), (1125, 100_000), (2048, 700)] {
        let original = keys(n, distinct: distinct, indexOrder: false, seed: UInt64(n ^ distinct))
        let sorted = original.sorted()
        for k in Set([1, 2, n / 3, n - 1, n]) where k >= 1 {
            var a = original
            var temp = [UInt64](repeating: 0, count: n), histogram = [Int](repeating: 0, count: RadixSort.histogramSize)
            let top = a.withUnsafeMutableBufferPointer {
                RadixSort.selectSmallest($0.baseAddress!, count: n, k: k, temp: &temp, histogram: &histogram)
            }
            #expect(top == sorted[k - 1], "the k-th smallest key is returned")
            #expect(a.prefix(k).sorted() == Array(sorted.prefix(k)), "n \(n), k \(k), \(distinct) distinct")
        }
    }
}

@Test func sortKeysOrderByValueThenIndex() {
    let values: [Float] = [-.infinity, -3, -1e-30, -0.0, 0, Float.leastNonzeroMagnitude, 1e-30, 0.5, 1, 3e38, .infinity]
    let pairs = values.enumerated().flatMap { v in [5, 1, 3].map { (v.element, $0 * 100 + v.offset) } }
    let byPair = pairs.sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
    let byKey = pairs.map { SortKey.make($0.0, $0.1) }.sorted()
    #expect(byKey.map(SortKey.index) == byPair.map(\.1))
    #expect(zip(byKey.map(SortKey.value), byPair.map(\.0)).allSatisfy { $0 == $1 })
    for v in values { #expect(SortKey.value(SortKey.make(v, 7)) == v && SortKey.index(SortKey.make(v, 7)) == 7) }
    // −0 and +0 give one key; the branch-free form agrees with the general one for every non-negative value.
    #expect(SortKey.make(-0.0, 3) == SortKey.make(0, 3))
    for v in values where v >= 0 { #expect(SortKey.make(nonNegative: v, 12) == SortKey.make(v, 12)) }
    #expect(SortKey.make(nonNegative: -0.0, 12) == SortKey.make(0, 12))
}
