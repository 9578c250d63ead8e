"""Every public layer through the layer check (tests/layer_check.py): output shape, weights,
config and save/load round trips, one training step. A new layer adds a row here."""

import numpy as np
import pytest

import deepgrad as dg

from layer_check import LayerCase, check_layer

L = dg.layers


def _pixels(shape):
    return lambda rng: rng.uniform(0, 255, size=(4, *shape)).astype("float32")


def _ids(shape, high):
    return lambda rng: rng.integers(1, high, size=(4, *shape))


def _words(rng):
    return np.array(["a", "b", "c", "zz"])[rng.integers(0, 4, size=(4, 3))]


@dg.saving.register_keras_serializable(package="LayerTable")
def _halve(x):
    return x * 0.5


def _color_case(make):
    """A colour augmentation layer on RGB pixel values (no gradient passes)."""
    return LayerCase(make, (4, 4, 3), (4, 4, 3), inputs=_pixels((4, 4, 3)),
                     differentiable=False)


def _adapted_normalization():
    layer = L.Normalization()
    layer.adapt(np.random.default_rng(5).normal(3.0, 2.0, size=(20, 5)).astype("float32"))
    return layer


CASES = [
    # core
    LayerCase(lambda: L.Dense(3, activation="tanh"), (5,), (3,), [(5, 3), (3,)]),
    LayerCase(lambda: L.Dense(3), (2, 5), (2, 3), [(5, 3), (3,)], id="Dense-3d"),
    LayerCase(lambda: L.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de"), (4, 5),
              (4, 2, 3), [(5, 2, 3), (2, 3)]),
    LayerCase(lambda: L.Activation("relu"), (5,), (5,)),
    LayerCase(lambda: L.Identity(), (5,), (5,)),
    # A dg.ops call on symbolic tensors (layers/op_layer.py), here in its saved form.
    LayerCase(lambda: L.OpLayer("sum", arguments=[{"__tensor__": 0}, -1]), (3, 4), (3,)),
    LayerCase(lambda: L.OpLayer("multiply", arguments=[{"__tensor__": 0}, 2.0]), (5,), (5,)),
    LayerCase(lambda: L.Lambda(_halve), (5,), (5,)),
    LayerCase(lambda: L.Flatten(), (2, 3, 2), (12,)),
    LayerCase(lambda: L.Reshape((3, 2)), (6,), (3, 2)),
    LayerCase(lambda: L.Permute((2, 1)), (3, 2), (2, 3)),
    LayerCase(lambda: L.RepeatVector(3), (5,), (3, 5)),
    LayerCase(lambda: L.Embedding(10, 4), (3,), (3, 4), [(10, 4)], inputs=_ids((3,), 10),
              lr=0.5),
    LayerCase(lambda: L.ReversibleEmbedding(10, 4), (3,), (3, 4), [(10, 4)],
              inputs=_ids((3,), 10), lr=0.5),
    LayerCase(lambda: L.Masking(0.0), (3, 2), (3, 2)),
    # activations
    LayerCase(lambda: L.ReLU(6.0), (5,), (5,)),
    LayerCase(lambda: L.LeakyReLU(0.2), (5,), (5,)),
    LayerCase(lambda: L.ELU(0.5), (5,), (5,)),
    LayerCase(lambda: L.Softmax(), (5,), (5,)),
    LayerCase(lambda: L.PReLU(alpha_initializer="constant"), (5,), (5,), [(5,)]),
    # convolutions
    LayerCase(lambda: L.Conv1D(3, 3, padding="causal"), (7, 2), (7, 3), [(3, 2, 3), (3,)]),
    LayerCase(lambda: L.Conv2D(3, 3, strides=2, padding="same"), (6, 6, 2), (3, 3, 3),
              [(3, 3, 2, 3), (3,)]),
    LayerCase(lambda: L.Conv2DTranspose(3, 3, strides=2), (3, 3, 2), (7, 7, 3),
              [(3, 3, 3, 2), (3,)]),
    LayerCase(lambda: L.DepthwiseConv2D(3, depth_multiplier=2), (5, 5, 2), (3, 3, 4),
              [(3, 3, 2, 2), (4,)]),
    LayerCase(lambda: L.SeparableConv2D(3, 3), (5, 5, 2), (3, 3, 3),
              [(3, 3, 2, 1), (1, 1, 2, 3), (3,)]),
    LayerCase(lambda: L.Conv1DTranspose(3, 3, strides=2, output_padding=1), (5, 2), (12, 3),
              [(3, 3, 2), (3,)]),
    LayerCase(lambda: L.DepthwiseConv1D(3, depth_multiplier=2, padding="same"), (6, 2),
              (6, 4), [(3, 2, 2), (4,)]),
    LayerCase(lambda: L.SeparableConv1D(3, 3, strides=2), (7, 2), (3, 3),
              [(3, 2, 1), (1, 2, 3), (3,)]),
    LayerCase(lambda: L.Conv3D(3, 2, strides=(1, 2, 1), padding="same"), (3, 4, 3, 2),
              (3, 2, 3, 3), [(2, 2, 2, 2, 3), (3,)]),
    LayerCase(lambda: L.Conv3D(4, 2, groups=2), (3, 3, 3, 2), (2, 2, 2, 4),
              [(2, 2, 2, 1, 4), (4,)], id="Conv3D-groups"),
    LayerCase(lambda: L.Conv3DTranspose(2, 2, strides=2), (2, 3, 2, 3), (4, 6, 4, 2),
              [(2, 2, 2, 2, 3), (2,)]),
    # pooling
    LayerCase(lambda: L.MaxPooling1D(2), (6, 2), (3, 2)),
    LayerCase(lambda: L.AveragePooling1D(2), (6, 2), (3, 2)),
    LayerCase(lambda: L.MaxPooling2D(2), (4, 4, 2), (2, 2, 2)),
    LayerCase(lambda: L.AveragePooling2D(2, padding="same"), (5, 5, 2), (3, 3, 2)),
    LayerCase(lambda: L.GlobalMaxPooling1D(), (6, 2), (2,)),
    LayerCase(lambda: L.GlobalAveragePooling1D(keepdims=True), (6, 2), (1, 2)),
    LayerCase(lambda: L.GlobalMaxPooling2D(), (4, 4, 2), (2,)),
    LayerCase(lambda: L.GlobalAveragePooling2D(), (4, 4, 2), (2,)),
    LayerCase(lambda: L.AdaptiveAveragePooling1D(3), (7, 2), (3, 2)),
    LayerCase(lambda: L.AdaptiveMaxPooling1D(4), (7, 2), (4, 2)),
    LayerCase(lambda: L.AdaptiveAveragePooling2D((2, 3)), (5, 7, 2), (2, 3, 2)),
    LayerCase(lambda: L.AdaptiveMaxPooling2D(3, data_format="channels_first"), (2, 5, 7),
              (2, 3, 3)),
    LayerCase(lambda: L.AdaptiveAveragePooling3D(2), (3, 4, 5, 2), (2, 2, 2, 2)),
    LayerCase(lambda: L.AdaptiveMaxPooling3D((1, 2, 3)), (3, 4, 5, 2), (1, 2, 3, 2)),
    LayerCase(lambda: L.MaxPooling3D(2), (4, 4, 4, 2), (2, 2, 2, 2)),
    LayerCase(lambda: L.AveragePooling3D(2, strides=1, padding="same"), (3, 3, 3, 2),
              (3, 3, 3, 2)),
    LayerCase(lambda: L.GlobalMaxPooling3D(), (3, 3, 3, 2), (2,)),
    LayerCase(lambda: L.GlobalAveragePooling3D(keepdims=True), (3, 3, 3, 2), (1, 1, 1, 2)),
    # normalization
    LayerCase(lambda: L.BatchNormalization(), (4, 4, 3), (4, 4, 3),
              [(3,), (3,), (3,), (3,)], trainable=2),
    LayerCase(lambda: L.LayerNormalization(), (3, 4), (3, 4), [(4,), (4,)]),
    LayerCase(lambda: L.GroupNormalization(groups=2), (3, 4), (3, 4), [(4,), (4,)]),
    LayerCase(lambda: L.UnitNormalization(axis=[1, 2]), (3, 4), (3, 4)),
    LayerCase(lambda: L.RMSNormalization(), (3, 4), (3, 4), [(4,)]),
    LayerCase(_adapted_normalization, (5,), (5,), [(5,), (5,), ()], trainable=0,
              id="Normalization-adapted"),
    # regularization
    LayerCase(lambda: L.Dropout(0.5, seed=1), (5,), (5,)),
    LayerCase(lambda: L.SpatialDropout1D(0.5, seed=1), (4, 3), (4, 3)),
    LayerCase(lambda: L.SpatialDropout2D(0.5, seed=1), (4, 4, 3), (4, 4, 3)),
    LayerCase(lambda: L.SpatialDropout3D(0.5, seed=1, data_format="channels_first"),
              (3, 2, 4, 4), (3, 2, 4, 4)),
    LayerCase(lambda: L.GaussianDropout(0.3, seed=1), (5,), (5,)),
    LayerCase(lambda: L.AlphaDropout(0.3, seed=1), (5,), (5,)),
    LayerCase(lambda: L.SpectralNormalization(L.Dense(3)), (5,), (3,), [(5, 3), (1, 3), (3,)],
              trainable=2),
    LayerCase(lambda: L.GaussianNoise(0.1, seed=1), (5,), (5,)),
    LayerCase(lambda: L.ActivityRegularization(l1=0.01), (5,), (5,)),
    # reshaping images and sequences
    LayerCase(lambda: L.ZeroPadding1D(2), (4, 2), (8, 2)),
    LayerCase(lambda: L.ZeroPadding2D(1), (3, 3, 2), (5, 5, 2)),
    LayerCase(lambda: L.Cropping1D((1, 2)), (6, 2), (3, 2)),
    LayerCase(lambda: L.Cropping2D(1), (5, 5, 2), (3, 3, 2)),
    LayerCase(lambda: L.UpSampling1D(2), (3, 2), (6, 2)),
    LayerCase(lambda: L.UpSampling2D(2, interpolation="bilinear"), (3, 3, 2), (6, 6, 2)),
    LayerCase(lambda: L.ZeroPadding3D((1, 0, (0, 2))), (2, 3, 3, 2), (4, 3, 5, 2)),
    LayerCase(lambda: L.Cropping3D(((1, 0), 1, 0), data_format="channels_first"),
              (2, 3, 4, 5), (2, 2, 2, 5)),
    LayerCase(lambda: L.UpSampling3D((2, 1, 2)), (2, 2, 2, 1), (4, 2, 4, 1)),
    # merging
    LayerCase(lambda: L.Add(), [(3,), (3,)], (3,)),
    LayerCase(lambda: L.Subtract(), [(3,), (3,)], (3,)),
    LayerCase(lambda: L.Multiply(), [(3,), (3,)], (3,)),
    LayerCase(lambda: L.Average(), [(3,), (3,)], (3,)),
    LayerCase(lambda: L.Maximum(), [(3,), (3,)], (3,)),
    LayerCase(lambda: L.Minimum(), [(3,), (3,)], (3,)),
    LayerCase(lambda: L.Concatenate(), [(2, 3), (2, 4)], (2, 7)),
    LayerCase(lambda: L.Dot(axes=1), [(3,), (3,)], (1,)),
    # attention
    LayerCase(lambda: L.Attention(use_scale=True, score_mode="concat"), [(3, 4), (5, 4)], (3, 4),
              [(), ()]),
    LayerCase(lambda: L.AdditiveAttention(), [(3, 4), (5, 2), (5, 4)], (3, 2), [(4,)]),
    LayerCase(lambda: L.MultiHeadAttention(2, 3, value_dim=2), [(4, 6), (5, 3)], (4, 6),
              [(6, 2, 3), (2, 3), (3, 2, 3), (2, 3), (3, 2, 2), (2, 2), (2, 2, 6), (6,)]),
    LayerCase(lambda: L.GroupQueryAttention(2, 4, 2), [(4, 6), (5, 6)], (4, 6),
              [(6, 4, 2), (4, 2), (6, 2, 2), (2, 2), (6, 2, 2), (2, 2), (4, 2, 6), (6,)]),
    # preprocessing and augmentation (inference is the identity for the random ones); all but
    # Rescaling compute in NumPy, so no gradient passes (see the xfail tests below)
    LayerCase(lambda: L.Rescaling(1 / 255), (3, 3, 2), (3, 3, 2), inputs=_pixels((3, 3, 2))),
    LayerCase(lambda: L.Resizing(2, 3), (4, 4, 2), (2, 3, 2), differentiable=False),
    LayerCase(lambda: L.CenterCrop(2, 2), (4, 4, 2), (2, 2, 2), differentiable=False),
    LayerCase(lambda: L.RandomFlip(seed=1), (4, 4, 2), (4, 4, 2), differentiable=False),
    LayerCase(lambda: L.RandomRotation(0.1, seed=1), (4, 4, 2), (4, 4, 2),
              differentiable=False),
    LayerCase(lambda: L.RandomTranslation(0.1, 0.1, seed=1), (4, 4, 2), (4, 4, 2),
              differentiable=False),
    LayerCase(lambda: L.RandomZoom(0.1, seed=1), (4, 4, 2), (4, 4, 2), differentiable=False),
    LayerCase(lambda: L.RandomShear(0.2, 0.3, seed=1), (4, 4, 2), (4, 4, 2),
              differentiable=False),
    LayerCase(lambda: L.RandomCrop(2, 2, seed=1), (4, 4, 2), (2, 2, 2), differentiable=False),
    LayerCase(lambda: L.RandomBrightness(0.1, seed=1), (4, 4, 2), (4, 4, 2),
              inputs=_pixels((4, 4, 2)), differentiable=False),
    LayerCase(lambda: L.RandomContrast(0.1, seed=1), (4, 4, 2), (4, 4, 2),
              inputs=_pixels((4, 4, 2)), differentiable=False),
    _color_case(lambda: L.RandomGrayscale(seed=1)),
    _color_case(lambda: L.RandomInvert(seed=1)),
    _color_case(lambda: L.Solarization(0.2, 0.5, seed=1)),
    _color_case(lambda: L.RandomPosterization(4, seed=1)),
    _color_case(lambda: L.RandomColorDegeneration(0.5, seed=1)),
    _color_case(lambda: L.RandomSaturation(0.5, seed=1)),
    _color_case(lambda: L.RandomHue(0.5, seed=1)),
    _color_case(lambda: L.RandomSharpness(0.5, seed=1)),
    _color_case(lambda: L.AutoContrast()),
    _color_case(lambda: L.Equalization(bins=64)),
    _color_case(lambda: L.RandomColorJitter(brightness_factor=0.1, hue_factor=0.2, seed=1)),
    _color_case(lambda: L.MixUp(seed=1)),
    _color_case(lambda: L.RandomPerspective(seed=1)),
    _color_case(lambda: L.RandomElasticTransform(seed=1)),
    _color_case(lambda: L.RandAugment(seed=1)),
    _color_case(lambda: L.AugMix(seed=1)),
    _color_case(lambda: L.CutMix(seed=1)),
    _color_case(lambda: L.RandomErasing(seed=1)),
    _color_case(lambda: L.RandomGaussianBlur(seed=1)),
    _color_case(lambda: L.Pipeline([L.RandomFlip(seed=1), L.AutoContrast()])),
    # audio (built from differentiable ops: gradients reach the signal; STFT kernels learn)
    LayerCase(lambda: L.MelSpectrogram(fft_length=32, sequence_stride=16, num_mel_bins=8,
                                       sampling_rate=8000), (64,), (8, 5)),
    LayerCase(lambda: L.STFTSpectrogram(mode="magnitude", frame_length=8, frame_step=4),
              (32, 1), (7, 5), [(8, 1, 5), (8, 1, 5)]),
    # text and lookup (ids out: nothing to differentiate)
    LayerCase(lambda: L.StringLookup(vocabulary=["a", "b", "c"]), (3,), (3,), inputs=_words,
              differentiable=False),
    LayerCase(lambda: L.IntegerLookup(vocabulary=[1, 2, 3]), (3,), (3,), inputs=_ids((3,), 5),
              differentiable=False),
    LayerCase(lambda: L.TextVectorization(vocabulary=["a", "b", "c"], output_sequence_length=4),
              (), (4,), inputs=lambda rng: np.array(["a b", "c zz a", "b", "a a a a a"]),
              differentiable=False),
    # categorical
    LayerCase(lambda: L.CategoryEncoding(6, output_mode="count"), (3,), (6,),
              inputs=_ids((3,), 6), differentiable=False),
    LayerCase(lambda: L.Discretization(bin_boundaries=[-1.0, 0.0, 1.0]), (3,), (3,),
              differentiable=False),
    LayerCase(lambda: L.Hashing(8, output_mode="multi_hot"), (3,), (8,), inputs=_words,
              differentiable=False),
    LayerCase(lambda: L.HashedCrossing(8), [(1,), (1,)], (1,),
              inputs=lambda rng: [_words(rng)[:, :1], _ids((1,), 9)(rng)],
              differentiable=False),
    # recurrent
    LayerCase(lambda: L.SimpleRNN(3), (5, 2), (3,), [(2, 3), (3, 3), (3,)]),
    LayerCase(lambda: L.LSTM(3, return_sequences=True), (5, 2), (5, 3),
              [(2, 12), (3, 12), (12,)]),
    LayerCase(lambda: L.GRU(3), (5, 2), (3,), [(2, 9), (3, 9), (2, 9)]),
    LayerCase(lambda: L.RNN(L.LSTMCell(3)), (5, 2), (3,), [(2, 12), (3, 12), (12,)],
              id="RNN-LSTMCell"),
    LayerCase(lambda: L.RNN(L.StackedRNNCells([L.SimpleRNNCell(3), L.GRUCell(2)])), (5, 2),
              (2,), [(2, 3), (3, 3), (3,), (3, 6), (2, 6), (2, 6)], id="RNN-StackedRNNCells"),
    LayerCase(lambda: L.Bidirectional(L.SimpleRNN(3)), (5, 2), (6,),
              [(2, 3), (3, 3), (3,), (2, 3), (3, 3), (3,)]),
    LayerCase(lambda: L.TimeDistributed(L.Dense(3)), (5, 2), (5, 3), [(2, 3), (3,)]),
    LayerCase(lambda: L.ConvLSTM1D(2, 3), (3, 6, 2), (4, 2), [(3, 2, 8), (3, 2, 8), (8,)]),
    LayerCase(lambda: L.ConvLSTM2D(2, 3, padding="same", return_sequences=True), (3, 4, 4, 1),
              (3, 4, 4, 2), [(3, 3, 1, 8), (3, 3, 2, 8), (8,)]),
    LayerCase(lambda: L.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2)),
              (6, 6, 1), (6, 6, 1), [], inputs=_pixels((6, 6, 1)), differentiable=False),
    LayerCase(lambda: L.ConvLSTM3D(2, 2), (2, 3, 3, 3, 1), (2, 2, 2, 2),
              [(2, 2, 2, 1, 8), (2, 2, 2, 2, 8), (8,)]),
]

# Public layer classes with no row, and why.
NOT_IN_THE_TABLE = {
    L.InputLayer: "a model's input, not a transformation (tests/models)",
    L.Layer: "the abstract base class",
    L.Wrapper: "the abstract base of wrappers (SpectralNormalization's row)",
    L.MaxNumBoundingBoxes: "works on {'images', 'bounding_boxes'} dicts, not on a tensor "
                           "(tests/layers/test_max_num_bounding_boxes.py)",
    L.SimpleRNNCell: "a cell runs inside RNN (the RNN rows)",
    L.LSTMCell: "a cell runs inside RNN (the RNN rows)",
    L.GRUCell: "a cell runs inside RNN (the RNN rows)",
    L.StackedRNNCells: "a cell runs inside RNN (the RNN rows)",
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer(case, tmp_path):
    check_layer(case, tmp_path)


# Keras deprecates rms_scaling and warns at every construction (from_config and loading
# included); so does deepgrad.
@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`:UserWarning")
def test_layer_normalization_rms_scaling(tmp_path):
    check_layer(LayerCase(lambda: L.LayerNormalization(axis=[1, 2], rms_scaling=True), (3, 4),
                          (3, 4), [(3, 4)]), tmp_path)


def test_normalization_weights_are_keras():
    layer = _adapted_normalization()
    layer(np.zeros((1, 5), "float32"))
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]


@pytest.mark.xfail(strict=True, reason="deepgrad bug: CenterCrop computes in NumPy and returns a "
                   "new Tensor, so no gradient reaches the layers before it (Keras's crop is a "
                   "slice, differentiable)")
def test_center_crop_passes_gradients():
    x = dg.Tensor(np.ones((1, 4, 4, 1), "float32"), requires_grad=True)
    L.CenterCrop(2, 2)(x).sum().backward()
    assert x.grad is not None and x.grad[0, 1:3, 1:3].sum() == 4 and x.grad.sum() == 4


def test_every_public_layer_has_a_row():
    public = {getattr(L, name) for name in dir(L) if not name.startswith("_")}
    layers = {c for c in public if isinstance(c, type) and issubclass(c, L.Layer)}
    covered = {type(case.make()) for case in CASES}
    missing = sorted(c.__name__ for c in layers - covered - set(NOT_IN_THE_TABLE))
    assert not missing, f"add a LayerCase row to tests/layers/test_layer_table.py for {missing}"
