"""Keras ops whose forward has no short NumPy formula, against PyTorch: values and
gradients on the same float64 inputs."""

import numpy as np

from deepgrad import ops

import torch_reference as tr

rng = np.random.default_rng(3)


def test_unfold_matches_torch():
    f = tr.import_torch().nn.functional
    x = rng.normal(size=(2, 3, 6, 5))
    tr.compare(lambda t: ops.unfold(t, (3, 2), dilation=(1, 2), padding=1, stride=(2, 1)),
               lambda t: f.unfold(t, (3, 2), dilation=(1, 2), padding=1, stride=(2, 1)), [x])


def test_fold_matches_torch():
    f = tr.import_torch().nn.functional
    x = rng.normal(size=(2, 3 * 4, 9))
    tr.compare(lambda t: ops.fold(t, (4, 4), 2, stride=1),
               lambda t: f.fold(t, (4, 4), 2, stride=1), [x])


def test_conv_transpose_matches_torch():
    """Keras's kernel is (kh, kw, out_channels, in_channels); torch's (in, out, kh, kw)."""
    f = tr.import_torch().nn.functional
    x, k = rng.normal(size=(2, 3, 4, 2)), rng.normal(size=(3, 3, 5, 2))
    tr.compare(lambda t, w: ops.conv_transpose(t, w, strides=2),
               lambda t, w: tr.channels_last(f.conv_transpose2d(
                   tr.channels_first(t), w.permute(3, 2, 0, 1), stride=2)), [x, k])


def test_resize_bilinear_matches_torch():
    """Keras (TF's half-pixel centres) and torch's align_corners=False sample the same."""
    f = tr.import_torch().nn.functional
    x = rng.normal(size=(2, 4, 6, 3))
    tr.compare(lambda t: ops.image.resize(t, (7, 3)),
               lambda t: tr.channels_last(f.interpolate(
                   tr.channels_first(t), size=(7, 3), mode="bilinear", align_corners=False)),
               [x])
