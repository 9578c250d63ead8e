"""Op-table rows for the rest of Keras's ops (activations, linear algebra, Fourier, image,
patches, convolution forms, normalizations, control flow), checked by
tests/ops/test_op_table.py. Rows without a reference (None) have their forward values
checked by the docstring examples and, for unfold/fold/conv_transpose/resize, against
PyTorch (tests/ops/test_ops_against_torch.py)."""

import numpy as np

from deepgrad import ops
from deepgrad.tensor import Tensor

rng = np.random.default_rng(2)


def pos(*shape):
    return rng.uniform(0.5, 2.0, size=shape)


def any_(*shape):
    return rng.normal(size=shape)


def away(*shape):
    return rng.uniform(0.2, 2.0, size=shape) * rng.choice([-1, 1], size=shape)


def spd(n):
    """A well-conditioned symmetric positive definite matrix."""
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def joined(*outputs):
    return ops.concatenate([ops.reshape(o, (-1,)) for o in outputs])


def joined_np(*outputs):
    return np.concatenate([np.reshape(o, (-1,)) for o in outputs])


def sym(a):
    """The symmetric part, so finite differences stay on symmetric matrices."""
    return (a + ops.transpose(a)) * 0.5 if isinstance(a, Tensor) else (a + a.T) * 0.5


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _conv_valid(x, k):
    """Plain channels-last 2-D cross-correlation, stride 1, valid."""
    n, h, w, _ = x.shape
    kh, kw, _, co = k.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, co))
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            out[:, i, j] = np.einsum("nabc,abco->no", x[:, i:i + kh, j:j + kw], k)
    return out


def _sparsemax(z):
    s = np.sort(z)[::-1]
    k = np.arange(1, z.size + 1)
    support = 1 + k * s > np.cumsum(s)
    tau = (np.cumsum(s)[support][-1] - 1) / k[support][-1]
    return np.maximum(z - tau, 0)


_FRAME = np.array([0.0, 1.0, 0.0, 0.0, 1.0, 0.0])

OP_TABLE = [
    # activations
    ("celu", lambda x: ops.celu(x, alpha=0.7),
     lambda x: np.where(x > 0, x, 0.7 * np.expm1(x / 0.7)), [away(3, 4)]),
    ("glu", ops.glu, lambda x: x[:, :2] * _sigmoid(x[:, 2:]), [any_(3, 4)]),
    ("hard_shrink", ops.hard_shrink, lambda x: np.where(np.abs(x) > 0.5, x, 0),
     [np.array([-1.2, -0.3, 0.2, 0.9])]),
    ("hard_silu", ops.hard_silu, lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
     [np.array([-4.0, -1.0, 0.5, 2.0, 4.0])]),
    ("hard_swish", ops.hard_swish, lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
     [np.array([-4.0, -1.0, 0.5, 2.0, 4.0])]),
    ("hard_tanh", ops.hard_tanh, lambda x: np.clip(x, -1, 1), [np.array([-2.0, -0.5, 0.3, 1.5])]),
    ("log_sigmoid", ops.log_sigmoid, lambda x: np.log(_sigmoid(x)), [any_(3, 4)]),
    ("soft_shrink", ops.soft_shrink, lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
     [np.array([-1.2, -0.3, 0.2, 0.9])]),
    ("sparse_plus", ops.sparse_plus,
     lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
     [np.array([-2.0, -0.5, 0.3, 1.5])]),
    ("sparse_sigmoid", ops.sparse_sigmoid, lambda x: np.clip((x + 1) / 2, 0, 1),
     [np.array([-2.0, -0.5, 0.3, 1.5])]),
    ("sparsemax", ops.sparsemax, lambda z: np.stack([_sparsemax(r) for r in z]),
     [np.array([[0.1, 1.2, 0.5, -0.4], [2.0, 0.3, 1.9, -1.0]])]),
    ("squareplus", ops.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2, [any_(3, 4)]),
    ("swish", ops.swish, lambda x: x * _sigmoid(x), [any_(3, 4)]),
    ("tanh_shrink", ops.tanh_shrink, lambda x: x - np.tanh(x), [any_(3, 4)]),
    ("threshold", lambda x: ops.threshold(x, 0.2, -1.0), lambda x: np.where(x > 0.2, x, -1.0),
     [np.array([-1.0, 0.1, 0.5, 2.0])]),
    # linear algebra
    ("inv", ops.inv, np.linalg.inv, [spd(3)]),
    ("det", ops.det, np.linalg.det, [any_(2, 3, 3)]),
    ("slogdet", lambda x: joined(*ops.slogdet(x)), lambda x: joined_np(*np.linalg.slogdet(x)),
     [any_(3, 3)]),
    ("logdet", ops.logdet, lambda x: np.linalg.slogdet(x)[1], [spd(3)]),
    ("solve", ops.solve, np.linalg.solve, [spd(3), any_(3, 2)]),
    ("solve_triangular", lambda a, b: ops.solve_triangular(a, b, lower=True),
     lambda a, b: np.linalg.solve(np.tril(a), b), [spd(3), any_(3, 2)]),
    ("lstsq", ops.lstsq, lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0],
     [any_(5, 3), any_(5, 2)]),
    ("pinv", ops.pinv, np.linalg.pinv, [any_(4, 3)]),
    ("cholesky_inverse", lambda x: ops.cholesky_inverse(ops.cholesky(sym(x))),
     lambda x: np.linalg.inv(sym(x)), [spd(3)]),
    ("norm_vector", lambda x: ops.norm(x, axis=-1), lambda x: np.linalg.norm(x, axis=-1),
     [any_(3, 4)]),
    ("norm_l1", lambda x: ops.norm(x, ord=1, axis=0), lambda x: np.linalg.norm(x, 1, axis=0),
     [away(3, 4)]),
    ("norm_frobenius", ops.norm, np.linalg.norm, [any_(3, 4)]),
    ("norm_nuclear", lambda x: ops.norm(x, ord="nuc"), lambda x: np.linalg.norm(x, "nuc"),
     [any_(3, 4)]),
    ("cholesky", lambda x: ops.cholesky(sym(x)), lambda x: np.linalg.cholesky(sym(x)),
     [spd(3)]),
    ("eigh", lambda x: joined(*ops.eigh(sym(x))), lambda x: joined_np(*np.linalg.eigh(sym(x))),
     [spd(3)]),
    ("qr", lambda x: joined(*ops.qr(x)), lambda x: joined_np(*np.linalg.qr(x)), [any_(4, 3)]),
    ("svd", lambda x: joined(*ops.svd(x, full_matrices=False)),
     lambda x: joined_np(*np.linalg.svd(x, full_matrices=False)), [any_(4, 3)]),
    ("svd_values", lambda x: ops.svd(x, compute_uv=False),
     lambda x: np.linalg.svd(x, compute_uv=False), [any_(3, 5)]),
    # Fourier transforms
    ("fft", lambda r, i: joined(*ops.fft((r, i))),
     lambda r, i: joined_np(np.fft.fft(r + 1j * i).real, np.fft.fft(r + 1j * i).imag),
     [any_(2, 5), any_(2, 5)]),
    ("fft2", lambda r, i: joined(*ops.fft2((r, i))),
     lambda r, i: joined_np(np.fft.fft2(r + 1j * i).real, np.fft.fft2(r + 1j * i).imag),
     [any_(3, 4), any_(3, 4)]),
    ("ifft2", lambda r, i: joined(*ops.ifft2((r, i))),
     lambda r, i: joined_np(np.fft.ifft2(r + 1j * i).real, np.fft.ifft2(r + 1j * i).imag),
     [any_(3, 4), any_(3, 4)]),
    ("rfft", lambda x: joined(*ops.rfft(x)),
     lambda x: joined_np(np.fft.rfft(x).real, np.fft.rfft(x).imag), [any_(2, 6)]),
    ("rfft_padded", lambda x: joined(*ops.rfft(x, 7)),
     lambda x: joined_np(np.fft.rfft(x, 7).real, np.fft.rfft(x, 7).imag), [any_(5)]),
    ("irfft", lambda r, i: ops.irfft((r, i)), lambda r, i: np.fft.irfft(r + 1j * i),
     [any_(2, 4), any_(2, 4)]),
    ("stft", lambda x: joined(*ops.stft(x, 4, 2, 4, window=None, center=False)),
     lambda x: joined_np(*[f(np.fft.rfft(np.stack([x[s:s + 4] for s in (0, 2, 4)])))
                           for f in (np.real, np.imag)]), [any_(8)]),
    ("istft", lambda r, i: ops.istft((r, i), 4, 2, 4, center=False), None,
     [any_(3, 3), any_(3, 3)]),
    # normalizations and the nn namespace
    ("moments", lambda x: joined(*ops.moments(x, axes=[0, 1])),
     lambda x: joined_np(x.mean((0, 1)), x.var((0, 1))), [any_(3, 2, 4)]),
    ("normalize", ops.normalize, lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True),
     [any_(3, 4)]),
    ("normalize_l1", lambda x: ops.normalize(x, axis=0, order=1),
     lambda x: x / np.abs(x).sum(0, keepdims=True), [away(3, 4)]),
    ("psnr", lambda a, b: ops.psnr(a, b, 1.0),
     lambda a, b: 10 * np.log10(1 / np.mean((a - b) ** 2)), [pos(2, 4), pos(2, 4)]),
    ("layer_normalization", lambda x, g, b: ops.layer_normalization(x, g, b),
     lambda x, g, b: (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-7)
     * g + b, [any_(3, 4), any_(4), any_(4)]),
    ("batch_normalization", lambda x, m, v, b, s: ops.batch_normalization(x, m, v, 1, b, s),
     lambda x, m, v, b, s: (x - m[:, None]) / np.sqrt(v[:, None] + 1e-3) * s[:, None]
     + b[:, None], [any_(2, 3, 4), any_(3), pos(3), any_(3), any_(3)]),
    # patches and rearrangements
    ("unfold", lambda x: ops.unfold(x, 2), None, [any_(1, 2, 3, 3)]),
    ("fold", lambda x: ops.fold(x, (3, 3), 2), None, [any_(1, 8, 4)]),
    ("depth_to_space", lambda x: ops.depth_to_space(x, 2),
     lambda x: x.reshape(1, 2, 2, 2, 2, 1).transpose(0, 1, 3, 2, 4, 5).reshape(1, 4, 4, 1),
     [any_(1, 2, 2, 4)]),
    ("space_to_depth", lambda x: ops.space_to_depth(x, 2),
     lambda x: x.reshape(1, 2, 2, 2, 2, 1).transpose(0, 1, 3, 2, 4, 5).reshape(1, 2, 2, 4),
     [any_(1, 4, 4, 1)]),
    ("extract_sequences", lambda x: ops.extract_sequences(x, 3, 2),
     lambda x: np.stack([x[..., s:s + 3] for s in (0, 2, 4)], -2), [any_(2, 7)]),
    ("rearrange", lambda x: ops.rearrange(x, "b h w c -> b (h w) c"),
     lambda x: x.reshape(2, 6, 2), [any_(2, 3, 2, 2)]),
    # Keras's convolution forms
    ("conv", ops.conv, _conv_valid, [any_(2, 4, 5, 2), any_(3, 2, 2, 3)]),
    ("conv_transpose", lambda x, k: ops.conv_transpose(x, k, strides=2), None,
     [any_(1, 3, 3, 2), any_(2, 2, 4, 2)]),
    ("depthwise_conv", ops.depthwise_conv,
     lambda x, k: np.concatenate([_conv_valid(x[..., c:c + 1], k[:, :, c:c + 1])
                                  for c in range(2)], -1), [any_(1, 4, 4, 2), any_(2, 2, 2, 1)]),
    ("separable_conv", ops.separable_conv,
     lambda x, d, p: _conv_valid(np.concatenate(
         [_conv_valid(x[..., c:c + 1], d[:, :, c:c + 1]) for c in range(2)], -1), p),
     [any_(1, 4, 4, 2), any_(2, 2, 2, 1), any_(1, 1, 2, 3)]),
    ("average_pool", lambda x: ops.average_pool(x, 2),
     lambda x: x.reshape(1, 2, 2, 2, 2, 3).mean((2, 4)), [any_(1, 4, 4, 3)]),
    ("max_pool", lambda x: ops.max_pool(x, 2, padding="same"),
     lambda x: x.reshape(1, 2, 2, 2, 2, 3).max((2, 4)),
     [rng.permutation(48).reshape(1, 4, 4, 3) * 0.1]),
    # image ops
    ("resize_bilinear", lambda x: ops.image.resize(x, (5, 3)), None, [any_(1, 3, 4, 2)]),
    ("resize_nearest", lambda x: ops.image.resize(x, (6, 8), interpolation="nearest"),
     lambda x: x.repeat(2, 1).repeat(2, 2), [any_(1, 3, 4, 2)]),
    ("resize_area_down", lambda x: ops.image.resize(x, (2, 3), interpolation="area"),
     lambda x: x.reshape(1, 2, 2, 3, 2, 2).mean((2, 4)), [any_(1, 4, 6, 2)]),
    ("resize_area_up", lambda x: ops.image.resize(x, (4, 9), interpolation="area"),
     lambda x: x.repeat(2, 1).repeat(3, 2), [any_(1, 2, 3, 2)]),
    ("resize_area_uneven", lambda x: ops.image.resize(x, (2, 3), interpolation="area"), None,
     [any_(1, 3, 4, 1)]),
    ("affine_transform", lambda x: ops.image.affine_transform(
        x, np.array([1.0, 0.1, 0.3, 0.05, 0.9, -0.2, 0.0, 0.0])), None, [any_(1, 4, 5, 2)]),
    ("map_coordinates", lambda x: ops.image.map_coordinates(
        x, np.array([[0.3, 1.7, 2.2], [0.6, 0.1, 1.4]]), 1), None, [any_(3, 3)]),
    ("crop_images", lambda x: ops.image.crop_images(x, 1, 0, 1, 2),
     lambda x: x[:, 1:-1, :-2], [any_(1, 4, 5, 1)]),
    ("pad_images", lambda x: ops.image.pad_images(x, 1, 2, 0, 1),
     lambda x: np.pad(x, [(0, 0), (1, 0), (2, 1), (0, 0)]), [any_(1, 2, 2, 1)]),
    ("rgb_to_grayscale", ops.image.rgb_to_grayscale,
     lambda x: (x @ np.array([0.2989, 0.587, 0.114]))[..., None], [pos(1, 2, 2, 3)]),
    ("gaussian_blur", lambda x: ops.image.gaussian_blur(x, (3, 3), (1.0, 1.0)), None,
     [any_(1, 4, 4, 1)]),
    ("ssim", lambda a, b: ops.image.ssim(a, b, filter_size=3), None,
     [pos(1, 5, 5, 1), pos(1, 5, 5, 1)]),
    ("rgb_to_hsv", ops.image.rgb_to_hsv, None,
     [np.array([[[[0.2, 0.5, 0.9], [0.8, 0.3, 0.1]]]])]),
    ("hsv_to_rgb", ops.image.hsv_to_rgb, None, [np.array([[[[0.3, 0.5, 0.9], [0.7, 0.4, 0.6]]]])]),
    ("perspective_transform", lambda x: ops.image.perspective_transform(
        x, np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0], [3.0, 3.0]]),
        np.array([[0.1, 0.2], [2.7, 0.1], [0.3, 2.9], [2.8, 2.6]])), None, [any_(1, 4, 4, 1)]),
    ("sobel_edges", ops.image.sobel_edges, None, [any_(1, 4, 5, 2)]),
    ("elastic_transform", lambda x: ops.image.elastic_transform(x, alpha=2.0, sigma=1.0,
                                                                seed=3), None,
     [any_(1, 6, 6, 1)]),
    # core and control flow
    ("copy", ops.copy, np.copy, [any_(2, 3)]),
    ("saturate_cast", lambda x: ops.saturate_cast(x, x.dtype), lambda x: x, [any_(2, 3)]),
    ("scan", lambda x: ops.scan(lambda c, v: (c + v, c * v), ops.zeros((2,), x.dtype), x)[1],
     lambda x: np.concatenate([np.zeros((1, 2)), np.cumsum(x, 0)[:-1]]) * x, [any_(4, 2)]),
    ("map", lambda x: ops.map(lambda v: ops.sum(v * v), x), lambda x: (x * x).sum(-1),
     [any_(3, 4)]),
    ("fori_loop", lambda x: ops.fori_loop(0, 3, lambda i, v: v * x, ops.ones_like(x)),
     lambda x: x**3, [any_(2, 3)]),
    ("associative_scan", lambda x: ops.associative_scan(ops.add, x, axis=1),
     lambda x: np.cumsum(x, 1), [any_(2, 5)]),
    ("vectorized_map", lambda x: ops.vectorized_map(lambda v: v[0] * v[1], x),
     lambda x: x[:, 0] * x[:, 1], [any_(4, 2)]),
    ("cond", lambda x: ops.cond(True, lambda: x * 2, lambda: x), lambda x: 2 * x, [any_(3)]),
    ("switch", lambda x: ops.switch(1, [lambda t: t + 1, lambda t: t * t], x), lambda x: x * x,
     [any_(3)]),
    ("while_loop", lambda x: ops.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * x),
                                            (0, ops.ones_like(x)))[1],
     lambda x: x**3, [any_(2, 3)]),
    ("custom_gradient", lambda x: ops.custom_gradient(
        lambda t: (t * t, lambda g: g * 2 * t))(x), lambda x: x * x, [any_(3)]),
]

