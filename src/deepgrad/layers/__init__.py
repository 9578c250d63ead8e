"""Keras-style layers: weights in ``build``, the forward pass in ``call``.

>>> import deepgrad as dg
>>> dg.layers.Dense(4).name.startswith("dense")
True
"""

from deepgrad.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from deepgrad.layers.attention import AdditiveAttention, Attention
from deepgrad.layers.augmentation import RandomBrightness, RandomContrast, RandomCrop, RandomFlip
from deepgrad.layers.augmentation_color import (
    RandomColorDegeneration,
    RandomColorJitter,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPosterization,
    RandomSaturation,
    Solarization,
)
from deepgrad.layers.augmentation_geometric import (
    RandomRotation,
    RandomShear,
    RandomTranslation,
    RandomZoom,
)
from deepgrad.layers.augmentation_mix import CutMix, MixUp, RandomErasing, RandomGaussianBlur
from deepgrad.layers.augmentation_policies import AugMix, RandAugment
from deepgrad.layers.augmentation_tone import AutoContrast, Equalization, RandomSharpness
from deepgrad.layers.augmentation_warp import RandomElasticTransform, RandomPerspective
from deepgrad.layers.base import InputSpec, Layer, clear_session
from deepgrad.layers.categorical import CategoryEncoding, Discretization
from deepgrad.layers.clahe import ContrastLimitedAdaptiveHistogramEqualization
from deepgrad.layers.conv import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
)
from deepgrad.layers.conv_1d import (
    Conv1DTranspose,
    Convolution1DTranspose,
    DepthwiseConv1D,
    SeparableConv1D,
    SeparableConvolution1D,
)
from deepgrad.layers.conv_3d import (
    Conv3D,
    Conv3DTranspose,
    Convolution3D,
    Convolution3DTranspose,
)
from deepgrad.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from deepgrad.layers.core import Activation, Dense, Dropout, Identity
from deepgrad.layers.depthwise import DepthwiseConv2D, SeparableConv2D, SeparableConvolution2D
from deepgrad.layers.einsum_dense import EinsumDense
from deepgrad.layers.embedding import Embedding, Masking
from deepgrad.layers.grouped_query_attention import GroupQueryAttention
from deepgrad.layers.hashed_crossing import HashedCrossing
from deepgrad.layers.hashing import Hashing
from deepgrad.layers.image_reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from deepgrad.layers.input_layer import Input, InputLayer
from deepgrad.layers.keras_tensor import KerasTensor
from deepgrad.layers.lambda_layer import Lambda
from deepgrad.layers.lookup import IntegerLookup, StringLookup
from deepgrad.layers.max_num_bounding_boxes import MaxNumBoundingBoxes
from deepgrad.layers.mel_spectrogram import MelSpectrogram
from deepgrad.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
)
from deepgrad.layers.merging_functional import (
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from deepgrad.layers.multi_head_attention import MultiHeadAttention
from deepgrad.layers.nested import deserialize, serialize
from deepgrad.layers.normalization import BatchNormalization, LayerNormalization
from deepgrad.layers.normalization_per_sample import (
    GroupNormalization,
    RMSNormalization,
    UnitNormalization,
)
from deepgrad.layers.op_layer import OpLayer
from deepgrad.layers.pipeline import Pipeline
from deepgrad.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from deepgrad.layers.pooling_3d import (
    AveragePooling3D,
    AvgPool3D,
    GlobalAveragePooling3D,
    GlobalAvgPool3D,
    GlobalMaxPool3D,
    GlobalMaxPooling3D,
    MaxPool3D,
    MaxPooling3D,
)
from deepgrad.layers.pooling_adaptive import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from deepgrad.layers.preprocessing import CenterCrop, Normalization, Rescaling, Resizing
from deepgrad.layers.recurrent import GRU, LSTM, RNN, SimpleRNN
from deepgrad.layers.recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from deepgrad.layers.regularization import (
    ActivityRegularization,
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from deepgrad.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from deepgrad.layers.reversible_embedding import ReversibleEmbedding
from deepgrad.layers.rnn_wrappers import Bidirectional, TimeDistributed
from deepgrad.layers.stft_spectrogram import STFTSpectrogram
from deepgrad.layers.text_vectorization import TextVectorization
from deepgrad.layers.wrapper import SpectralNormalization, Wrapper

__all__ = [
    "AdditiveAttention",
    "Attention",
    "MultiHeadAttention",
    "OpLayer",
    "GroupNormalization",
    "RMSNormalization",
    "UnitNormalization",
    "CategoryEncoding",
    "Discretization",
    "Hashing",
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
    "Cropping3D",
    "UpSampling3D",
    "ZeroPadding3D",
    "SpatialDropout3D",
    "Conv1DTranspose",
    "Convolution1DTranspose",
    "DepthwiseConv1D",
    "SeparableConv1D",
    "SeparableConvolution1D",
    "Conv3D",
    "Conv3DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "AveragePooling3D",
    "AvgPool3D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool3D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling3D",
    "MaxPool3D",
    "MaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AvgPool1D",
    "AvgPool2D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "CenterCrop",
    "Normalization",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "RandomGrayscale",
    "RandomInvert",
    "Solarization",
    "RandomPosterization",
    "RandomColorDegeneration",
    "RandomSaturation",
    "RandomHue",
    "RandomColorJitter",
    "AutoContrast",
    "Equalization",
    "RandomSharpness",
    "MixUp",
    "CutMix",
    "RandomErasing",
    "RandomGaussianBlur",
    "Pipeline",
    "RandomShear",
    "RandAugment",
    "AugMix",
    "GroupQueryAttention",
    "EinsumDense",
    "RandomPerspective",
    "RandomElasticTransform",
    "MelSpectrogram",
    "STFTSpectrogram",
    "HashedCrossing",
    "MaxNumBoundingBoxes",
    "ReversibleEmbedding",
    "Rescaling",
    "Resizing",
    "IntegerLookup",
    "StringLookup",
    "TextVectorization",
    "Activation",
    "Add",
    "Average",
    "Concatenate",
    "Dense",
    "Dot",
    "Maximum",
    "Minimum",
    "Multiply",
    "Subtract",
    "Flatten",
    "Permute",
    "RepeatVector",
    "Reshape",
    "Dropout",
    "Identity",
    "Input",
    "InputLayer",
    "InputSpec",
    "KerasTensor",
    "Lambda",
    "Layer",
    "BatchNormalization",
    "LayerNormalization",
    "Cropping1D",
    "Cropping2D",
    "UpSampling1D",
    "UpSampling2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ActivityRegularization",
    "GaussianDropout",
    "AlphaDropout",
    "Wrapper",
    "SpectralNormalization",
    "serialize",
    "deserialize",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "ELU",
    "LeakyReLU",
    "PReLU",
    "ReLU",
    "Softmax",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Convolution1D",
    "Convolution2D",
    "Convolution2DTranspose",
    "DepthwiseConv2D",
    "SeparableConv2D",
    "SeparableConvolution2D",
    "clear_session",
    "GRU",
    "GRUCell",
    "LSTM",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "LSTMCell",
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "Bidirectional",
    "TimeDistributed",
    "Embedding",
    "Masking",
]
