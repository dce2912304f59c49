import NumericCore
import Training
#if canImport(Glibc)
import Glibc
#endif

// Temporary: times ConvReLUPool 32→64 on 16×16 (and 14×14), batch 128, 2 workers.
let context = ComputeContext(workers: getenv("WINO_WORKERS").map { Int(String(cString: $0))! } ?? 2)
let quick = getenv("WINO_QUICK") != nil
for (h, b) in quick ? [(16, 128)] : [(16, 128), (14, 128), (16, 256)] {
    var rng = SplitMix64(seed: 1)
    let layer = ConvReLUPool(inChannels: 32, outChannels: 64, height: h, width: h, rng: &rng, context: context)
    var x = Matrix(rows: b, cols: 32 * h * h)
    var g = Matrix(rows: b, cols: layer.outputWidth)
    var s = SplitMix64(seed: 2)
    for i in 0..<x.count { x.storage[i] = Float(s.next() % 1000) / 500 - 1 }
    for i in 0..<g.count { g.storage[i] = Float(s.next() % 1000) / 500 - 1 }
    var fw: [Double] = [], bw: [Double] = []
    for rep in 0..<(quick ? 6 : 40) {
        let t0 = MonotonicClock.now()
        layer.forward(x)
        let f = MonotonicClock.seconds(since: t0)
        let t1 = MonotonicClock.now()
        layer.backward(input: x, outputGradient: g, needInputGradient: true, accumulate: false)
        let bb = MonotonicClock.seconds(since: t1)
        if rep >= 5 { fw.append(f); bw.append(bb) }
    }
    fw.sort(); bw.sort()
    print("h \(h) b \(b): forward median \(Int(fw[fw.count / 2] * 1e6)) µs, backward median \(Int(bw[bw.count / 2] * 1e6)) µs")
}
