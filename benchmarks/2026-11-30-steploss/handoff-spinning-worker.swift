import Dispatch
import Foundation
import Synchronization
@inline(never) func spin(_ ns: UInt64) { let t = DispatchTime.now().uptimeNanoseconds; while DispatchTime.now().uptimeNanoseconds - t < ns {} }

final class SpinWorker: @unchecked Sendable {
    let generation = Atomic<Int>(0)
    let done = Atomic<Int>(0)
    var job: (() -> Void)? = nil
    init() {
        let t = Thread { [self] in
            var seen = 0
            while true {
                var g = generation.load(ordering: .acquiring)
                while g == seen { g = generation.load(ordering: .acquiring) }
                seen = g
                job!()
                done.store(g, ordering: .releasing)
            }
        }
        t.start()
    }
    func run(_ body: @escaping (Int) -> Void) {
        job = { body(1) }
        let g = generation.load(ordering: .relaxed) + 1
        generation.store(g, ordering: .releasing)
        body(0)
        while done.load(ordering: .acquiring) != g {}
    }
}
let w = SpinWorker()
for gap in [0, 30_000] {
  for work in [20_000, 100_000] {
    var samples: [Double] = []
    for _ in 0..<7 {
      let n = 400
      let t0 = DispatchTime.now().uptimeNanoseconds
      for _ in 0..<n {
        spin(UInt64(gap))
        w.run { _ in spin(UInt64(work)) }
      }
      let total = Double(DispatchTime.now().uptimeNanoseconds - t0) / Double(n)
      samples.append(total - Double(gap) - Double(work))
    }
    samples.sort()
    print("spin pool: serial gap \(gap/1000) µs, tile \(work/1000) µs: overhead per hand-off median \(Int(samples[3]/1000)) µs (min \(Int(samples[0]/1000)))")
  }
}
exit(0)
