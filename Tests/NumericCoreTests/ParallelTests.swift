import Dispatch
import Foundation
import Synchronization
import Testing
import NumericCore

// The work-splitting helpers cover every index exactly once.

@Test func forEachChunkVisitsEveryIndexOnceWithValidWorkers() {
    for (count, chunk, workers) in [(0, 4, 2), (1, 4, 2), (1000, 32, 2), (1001, 32, 3), (7, 100, 4), (64, 1, 8)] {
        let visits = Mutex([Int](repeating: 0, count: count))
        let workersSeen = Mutex(Set<Int>())
        Parallel.forEachChunk(count, chunk: chunk, workers: workers) { worker, range in
            #expect(range.count <= chunk && range.lowerBound % chunk == 0)
            workersSeen.withLock { _ = $0.insert(worker) }
            visits.withLock { v in for i in range { v[i] += 1 } }
        }
        #expect(visits.withLock { $0.allSatisfy { $0 == 1 } }, "count \(count) chunk \(chunk)")
        #expect(workersSeen.withLock { $0.allSatisfy { (0..<workers).contains($0) } })
    }
}

/// The tiled product is the same bits for every worker count, and the product.
@Test func tiledGEMMIsBitwiseTheSameForEveryWorkerCount() {
    var rng = SplitMix64(seed: 3)
    func random(_ r: Int, _ c: Int) -> Matrix {
        Matrix(rows: r, cols: c, storage: (0..<(r * c)).map { _ in Float(rng.nextUniform() * 2 - 1) })
    }
    // (m, n, k, transA, transB): cut along rows, along columns, and too small to cut.
    let shapes: [(Int, Int, Int, Transpose, Transpose)] = [
        (300, 97, 200, .none, .transposed), (64, 520, 130, .transposed, .none), (130, 700, 90, .none, .none),
        (20, 30, 40, .none, .none),
    ]
    for (m, n, k, ta, tb) in shapes {
        let a = ta == .none ? random(m, k) : random(k, m)
        let b = tb == .none ? random(k, n) : random(n, k)
        var results: [[UInt32]] = []
        for workers in [1, 2, 3, 5] {
            var c = Matrix(rows: 0, cols: 0)
            BLAS.gemm(ta, a, tb, b, into: &c, context: ComputeContext(workers: workers))
            results.append(c.storage.map(\.bitPattern))
            for i in [0, m / 2, m - 1] {
                for j in [0, n / 3, n - 1] {
                    var s = 0.0
                    for t in 0..<k {
                        let av = ta == .none ? a.storage[i * k + t] : a.storage[t * m + i]
                        let bv = tb == .none ? b.storage[t * n + j] : b.storage[j * k + t]
                        s += Double(av) * Double(bv)
                    }
                    #expect(abs(Double(c.storage[i * n + j]) - s) < 1e-4 * Double(k), "\(m)×\(n)×\(k) at (\(i), \(j))")
                }
            }
        }
        #expect(results.allSatisfy { $0 == results[0] }, "\(m)×\(n)×\(k)")
        let tiles = BLAS.tiling(m: m, n: n, k: k)
        #expect(tiles.count == (2 * m * n * k >= 8_000_000 ? 2 : 1), "\(m)×\(n)×\(k): \(tiles)")
    }
}

/// The Gram matrix's upper triangle, cut in halves from 512 rows, is the same
/// bits for every worker count and matches the dot products.
@Test func gramUpperIsBitwiseTheSameForEveryWorkerCount() {
    var rng = SplitMix64(seed: 4)
    for (n, k) in [(600, 33), (100, 20)] {
        let a = Matrix(rows: n, cols: k, storage: (0..<(n * k)).map { _ in Float(rng.nextUniform() * 2 - 1) })
        var results: [[UInt32]] = []
        for workers in [1, 2, 3] {
            var c = Matrix(rows: 0, cols: 0)
            BLAS.gramUpper(a, into: &c, context: ComputeContext(workers: workers))
            var upper: [UInt32] = []
            for i in 0..<n {
                for j in i..<n { upper.append(c.storage[i * n + j].bitPattern) }
            }
            results.append(upper)
            for (i, j) in [(0, 0), (0, n - 1), (n / 2, n / 2 + 1), (n - 1, n - 1), (5, n / 2 + 3)] {
                var s = 0.0
                for t in 0..<k { s += Double(a.storage[i * k + t]) * Double(a.storage[j * k + t]) }
                #expect(abs(Double(c.storage[i * n + j]) - s) < 1e-4, "n \(n): (\(i), \(j))")
            }
        }
        #expect(results.allSatisfy { $0 == results[0] }, "n \(n)")
    }
}

/// The worker pool behind `Parallel` (spin, then park) runs every iteration
/// exactly once and returns only when all are done, whether its helpers are
/// still spinning, yielding or parked when the hand-off comes (gaps of 0 µs to
/// 2 ms around the 200 µs spin budget), for nested calls (which fall back to
/// libdispatch) and for several callers at once (each takes its own pool).
@Test func workerPoolRunsEveryIterationOnceWhateverTheHelpersAreDoing() {
    func handOff(_ iterations: Int) -> Bool {
        // One slot per iteration, written without a lock: the pool's own
        // hand-off must order the helpers' writes before the caller's reads
        // (which the thread sanitizer checks: `swift test --sanitize=thread`).
        let visits = UnsafeMutableBufferPointer<Int>.allocate(capacity: iterations)
        defer { visits.deallocate() }
        visits.initialize(repeating: 0)
        Parallel.forEachWorker(iterations) { i in visits[i] += 1 }
        // Read after the call returned: all iterations must already be counted.
        return visits.allSatisfy { $0 == 1 }
    }
    var rng = SplitMix64(seed: 9)
    let gaps: [UInt32] = [0, 0, 20, 150, 250, 600, 2_000]
    for round in 0..<300 {
        let iterations = [2, 2, 3, 5, 17][round % 5]
        #expect(handOff(iterations), "round \(round), \(iterations) iterations")
        usleep(gaps[Int(rng.nextUniform() * Double(gaps.count)) % gaps.count])
    }
    // Nested: the inner call cannot take the busy pool; it still covers its range.
    let inner = UnsafeMutableBufferPointer<Int>.allocate(capacity: 6)
    defer { inner.deallocate() }
    inner.initialize(repeating: 0)
    Parallel.forEachWorker(2) { outer in
        Parallel.forEachRange(3, parts: 3) { range in
            for i in range { inner[outer * 3 + i] += 1 }
        }
    }
    #expect(Array(inner) == [Int](repeating: 1, count: 6))
    // Concurrent callers.
    let failures = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: 4) { _ in
        for n in 0..<200 where !handOff(2 + n % 3) { failures.add(1, ordering: .relaxed) }
    }
    #expect(failures.load(ordering: .relaxed) == 0)
}
