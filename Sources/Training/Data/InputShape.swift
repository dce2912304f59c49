/// The shape of one input sample: channels × height × width, stored
/// channel-major (CHW) in a feature row. Flat feature vectors are `d × 1 × 1`.
public struct InputShape: Codable, Hashable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// A flat feature vector of `dimension` values.
    public init(flat dimension: Int) { self.init(channels: dimension, height: 1, width: 1) }

    /// Values per sample.
    public var count: Int { channels * height * width }
    /// Whether the samples are images (a convnet needs them).
    public var isImage: Bool { height > 1 || width > 1 }
}
