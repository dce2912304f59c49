/// Sorting and selection of ``SortKey`` keys in caller-owned memory: the one
/// radix sort of the nearest-neighbour lists and the miners' rankings.
///
/// Keys are sorted by a least-significant-digit radix sort over one or both
/// 32-bit halves. Each half is sorted as its offset from the smallest value
/// of that half, in at most 3 passes of ≤ 11-bit digits sized to the count
/// (≤ 2^digit counters stay in L1), and a pass whose digit is the same for
/// every key is skipped: indices of a batch need one pass, the distances of
/// a query's neighbours two or three. Short inputs use insertion sort.
///
/// The two callers differ only in what is known of the low half, which
/// ``Digits`` states: the rankings write their keys in index order, so a
/// stable sort of the value half alone orders them by the whole key
/// (`.value`); a neighbour list arrives in selection order, so its index
/// half is sorted too (`.whole`). Either way the output is the keys in
/// ascending integer order, so the algorithm cannot change any result.
public enum RadixSort {
    /// Which halves of the keys are digits.
    public enum Digits {
        /// The high (value) half only, stably: for keys already in index order.
        case value
        /// Both halves: for keys in any order.
        case whole
    }

    /// Counters ``sort(_:_:_:_:by:)`` and ``selectSmallest(_:count:k:temp:histogram:)`` need.
    public static let histogramSize = 6 * 2048

    /// Sorts `keys[0..<n]` ascending (see ``Digits``). `temp` holds at least
    /// `n` keys, `histogram` ``histogramSize`` counters; nothing is allocated.
    ///
    /// - Complexity: O(n + 2^digit) per pass, at most 3 passes per half.
    @inlinable @inline(__always)
    public static func sort(
        _ keys: UnsafeMutablePointer<UInt64>, _ temp: UnsafeMutablePointer<UInt64>, _ n: Int,
        _ histogram: UnsafeMutablePointer<Int>, by digits: Digits = .value
    ) {
        if n < 2 { return }
        if n <= 24 {
            insertionSort(keys, n)
            return
        }
        var highLow = UInt32.max, highHigh = UInt32.min
        var lowLow = UInt32.max, lowHigh = UInt32.min
        switch digits {
        case .value:
            for i in 0..<n {
                let f = UInt32(truncatingIfNeeded: keys[i] &>> 32)
                highLow = min(highLow, f)
                highHigh = max(highHigh, f)
            }
            lowLow = 0
            lowHigh = 0
        case .whole:
            for i in 0..<n {
                let key = keys[i]
                let f = UInt32(truncatingIfNeeded: key &>> 32), g = UInt32(truncatingIfNeeded: key)
                highLow = min(highLow, f)
                highHigh = max(highHigh, f)
                lowLow = min(lowLow, g)
                lowHigh = max(lowHigh, g)
            }
        }
        let widest = min(11, max(6, Int.bitWidth - n.leadingZeroBitCount))
        var source = keys, target = temp
        _sortHalf(&source, &target, n, histogram, shift: 0, low: lowLow, range: lowHigh &- lowLow, widest: widest)
        _sortHalf(&source, &target, n, histogram, shift: 32, low: highLow, range: highHigh &- highLow, widest: widest)
        if source != keys { keys.update(from: source, count: n) }
    }

    /// The stable passes over the 32-bit half at `shift`, whose values lie in
    /// `low ... low + range`, from `source` into `target`, swapping the two
    /// after each pass that moved keys.
    @inlinable @inline(__always)
    static func _sortHalf(
        _ source: inout UnsafeMutablePointer<UInt64>, _ target: inout UnsafeMutablePointer<UInt64>, _ n: Int,
        _ histogram: UnsafeMutablePointer<Int>, shift half: UInt64, low: UInt32, range: UInt32, widest: Int
    ) {
        if range == 0 { return }
        let bits = 32 - range.leadingZeroBitCount
        let passes = (bits + widest - 1) / widest
        let width = (bits + passes - 1) / passes
        let buckets = 1 << width
        let mask = UInt32(buckets - 1)
        for j in 0..<(passes * buckets) { histogram[j] = 0 }
        for i in 0..<n {
            let f = UInt32(truncatingIfNeeded: source[i] &>> half) &- low
            var shift: UInt32 = 0
            for pass in 0..<passes {
                histogram[pass &* buckets &+ Int((f &>> shift) & mask)] &+= 1
                shift &+= UInt32(width)
            }
        }
        for pass in 0..<passes {
            let h = histogram + pass * buckets
            let shift = UInt32(pass * width)
            let first = (UInt32(truncatingIfNeeded: source[0] &>> half) &- low) &>> shift & mask
            if h[Int(first)] == n { continue }
            var sum = 0
            for j in 0..<buckets {
                let c = h[j]
                h[j] = sum
                sum &+= c
            }
            for i in 0..<n {
                let k = source[i]
                let digit = Int(((UInt32(truncatingIfNeeded: k &>> half) &- low) &>> shift) & mask)
                target[h[digit]] = k
                h[digit] &+= 1
            }
            swap(&source, &target)
        }
    }

    /// Sorts `keys[0..<n]` ascending by insertion: O(n + inversions), so for
    /// short or nearly sorted keys.
    @inlinable @inline(__always)
    public static func insertionSort(_ keys: UnsafeMutablePointer<UInt64>, _ n: Int) {
        for i in 1..<max(n, 1) {
            let key = keys[i]
            var j = i
            while j > 0 && keys[j - 1] > key {
                keys[j] = keys[j - 1]
                j -= 1
            }
            keys[j] = key
        }
    }

    /// Writes the `k` smallest keys of `a[0..<count]` to `a[0..<k]` (in no
    /// particular order; the keys after them are left unspecified) and
    /// returns the `k`-th smallest (the largest kept). Radix steps on the
    /// value half: a histogram of the top 8 bits of the candidates' value
    /// range, then one branch-free pass that appends the keys of the buckets
    /// below the `k`-th key's to the output and sets that bucket's keys aside
    /// in `temp`; the bucket's keys are the next step's candidates, until at
    /// most 64 remain or all share one value, which quickselect settles.
    /// Values crowded near the `k`-th (the distances of a query's neighbours
    /// in high dimensions) only add a step of 1/256 the range. Without
    /// data-dependent branches over the whole input this is several times
    /// faster than quickselect for a neighbour list's cut.
    /// `temp` holds `count` keys, `histogram` 256 counters.
    ///
    /// - Complexity: O(count) per step, each step narrowing the value range
    ///   256-fold (at most 4 steps), plus O(64) expected for quickselect.
    @inlinable @discardableResult
    public static func selectSmallest(
        _ a: UnsafeMutablePointer<UInt64>, count m: Int, k: Int, temp: UnsafeMutablePointer<UInt64>,
        histogram: UnsafeMutablePointer<Int>
    ) -> UInt64 {
        precondition(k > 0 && k <= m, "select the k = \(k) smallest of \(m) keys")
        // a[0..<out]: keys known to be among the k smallest; source[0..<count]: the candidates
        // for the other `need` (first a itself, then the set-aside bucket in temp).
        var out = 0, need = k, source = a, count = m
        while need < count {
            var low = UInt32.max, high = UInt32.min
            for i in 0..<count {
                let f = UInt32(truncatingIfNeeded: source[i] &>> 32)
                low = min(low, f)
                high = max(high, f)
            }
            let range = high &- low
            if range == 0 || count <= 64 {  // one value (the order is the indices'), or few keys
                quickselect(source, count: count, k: need)
                break
            }
            let shift = UInt32(max(0, (32 - range.leadingZeroBitCount) - 8))
            let buckets = Int(range &>> shift) + 1
            for b in 0..<buckets { histogram[b] = 0 }
            for i in 0..<count { histogram[Int((UInt32(truncatingIfNeeded: source[i] &>> 32) &- low) &>> shift)] &+= 1 }
            var below = 0, bucket = 0
            while below + histogram[bucket] < need {
                below &+= histogram[bucket]
                bucket &+= 1
            }
            var kept = out, aside = 0
            for i in 0..<count {
                // Read before writing: a[kept] (kept ≤ i while source is a) and temp[aside] (aside ≤ i) trail i.
                let key = source[i]
                let b = Int((UInt32(truncatingIfNeeded: key &>> 32) &- low) &>> shift)
                a[kept] = key
                kept &+= b < bucket ? 1 : 0
                temp[aside] = key
                aside &+= b == bucket ? 1 : 0
            }
            out = kept
            need &-= below
            source = temp
            count = aside
        }
        // The candidates' `need` smallest lead source; every one is above every key already out.
        let top = largest(source, need)
        if source != a + out { (a + out).update(from: source, count: need) }
        return top
    }

    /// The largest of `a[0..<n]` (0 when `n = 0`).
    @inlinable @inline(__always)
    public static func largest(_ a: UnsafePointer<UInt64>, _ n: Int) -> UInt64 {
        var top: UInt64 = 0
        for i in 0..<n { top = max(top, a[i]) }
        return top
    }

    /// ``largest(_:_:)`` of mutable memory.
    @inlinable @inline(__always)
    public static func largest(_ a: UnsafeMutablePointer<UInt64>, _ n: Int) -> UInt64 {
        largest(UnsafePointer(a), n)
    }

    /// Rearranges `a[0..<count]` so that its `k` smallest keys come first (in
    /// no particular order): quickselect with a median-of-three pivot, in place.
    ///
    /// - Complexity: O(count) expected.
    @inlinable
    public static func quickselect(_ a: UnsafeMutablePointer<UInt64>, count: Int, k: Int) {
        var lo = 0, hi = count &- 1
        @inline(__always) func swapAt(_ i: Int, _ j: Int) {
            let t = a[i]
            a[i] = a[j]
            a[j] = t
        }
        while hi > lo {
            let mid = lo &+ (hi &- lo) >> 1
            if a[mid] < a[lo] { swapAt(mid, lo) }
            if a[hi] < a[lo] { swapAt(hi, lo) }
            if a[hi] < a[mid] { swapAt(hi, mid) }
            let pivot = a[mid]
            var i = lo, j = hi
            while i <= j {
                while a[i] < pivot { i &+= 1 }
                while a[j] > pivot { j &-= 1 }
                if i <= j {
                    swapAt(i, j)
                    i &+= 1
                    j &-= 1
                }
            }
            // Now a[lo...j] ≤ pivot ≤ a[i...hi]; keep the side holding position k − 1.
            if k &- 1 <= j {
                hi = j
            } else if k &- 1 >= i {
                lo = i
            } else {
                return
            }
        }
    }
}
