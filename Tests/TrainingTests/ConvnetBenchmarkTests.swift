import Benchmarks
import NumericCore
import Testing
@_spi(Benchmarks) @testable import Training

@Test func zeroPaddingPutsTheImageInTheCentre() {
    // Two samples of 1 × 2 × 3, padded by one pixel on every side to 1 × 4 × 5.
    let features = Matrix([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]])
    let data = LabeledData(features: features, labels: [0, 1])
    let padded = Dataset(train: data, test: data, inputShape: InputShape(channels: 1, height: 2, width: 3)).zeroPadded(by: 1)
    #expect(padded.inputShape == InputShape(channels: 1, height: 4, width: 5))
    #expect(padded.train.features.row(1) == [0, 0, 0, 0, 0,
                                             0, 7, 8, 9, 0,
                                             0, 10, 11, 12, 0,
                                             0, 0, 0, 0, 0])
    #expect(padded.test.labels == [0, 1])
}

@Test func theGEMMLimitCountsEveryConvolutionAndLinearLayer() throws {
    let model = try EmbeddingModel(spec: TrainModel.convnet.spec, inputShape: InputShape(channels: 1, height: 28, width: 28),
                                   embeddingDim: 8, seed: 0, context: .serial)
    // Two conv blocks (their im2col GEMMs) and the embedding layer.
    #expect(_DenseProducts(model: model, batchSize: 2, context: .serial).count == 3)
    #expect(model.layers.compactMap { $0 as? ConvReLUPool }.map(\.patch) == [9, 288])
}
