import Dispatch
import Foundation
@inline(never) func spin(_ ns: UInt64) { let t = DispatchTime.now().uptimeNanoseconds; while DispatchTime.now().uptimeNanoseconds - t < ns {} }
for gap in [0, 30_000, 100_000] {
  for work in [20_000, 100_000] {
    var samples: [Double] = []
    for _ in 0..<7 {
      let n = 400
      let t0 = DispatchTime.now().uptimeNanoseconds
      for _ in 0..<n {
        spin(UInt64(gap))
        DispatchQueue.concurrentPerform(iterations: 2) { _ in spin(UInt64(work)) }
      }
      let total = Double(DispatchTime.now().uptimeNanoseconds - t0) / Double(n)
      samples.append(total - Double(gap) - Double(work))
    }
    samples.sort()
    print("serial gap \(gap/1000) µs, tile \(work/1000) µs: overhead per hand-off median \(Int(samples[3]/1000)) µs (min \(Int(samples[0]/1000)))")
  }
}
