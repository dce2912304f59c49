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
