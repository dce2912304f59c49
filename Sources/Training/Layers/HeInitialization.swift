import NumericCore

/// He (Kaiming) uniform initialisation: `U(−√(3·gain²/fanIn), +√(3·gain²/fanIn))`,
/// gain √2 before a ReLU, 1 otherwise.
func _heUniform(_ values: inout [Float], fanIn: Int, gain: Double, rng: inout SplitMix64) {
    let bound = (3 * gain * gain / Double(fanIn)).squareRoot()
    for i in values.indices { values[i] = Float((2 * rng.nextUniform() - 1) * bound) }
}
