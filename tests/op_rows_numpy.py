"""Op-table rows for Keras's NumPy-like ops (``keras.ops.numpy``), checked by
tests/ops/test_op_table.py: forward against NumPy, backward against central finite
differences in float64, float32 kept float32."""

import math

import numpy as np

from deepgrad import ops

rng = np.random.default_rng(1)


def pos(*shape):
    return rng.uniform(0.5, 2.0, size=shape)


def any_(*shape):
    return rng.normal(size=shape)


def unit(*shape):
    return rng.uniform(-0.8, 0.8, size=shape)


def away(*shape):
    return rng.uniform(0.2, 2.0, size=shape) * rng.choice([-1, 1], size=shape)


def distinct(*shape):
    """Values at least 0.1 apart, so max/min/sort/median have one clear winner."""
    return rng.permutation(np.arange(math.prod(shape)) * 0.1 - 1.0).reshape(shape)


def joined(*outputs):
    """One flat tensor of several outputs, so a multi-output op is checked as one."""
    return ops.concatenate([ops.reshape(o, (-1,)) for o in outputs])


def joined_np(*outputs):
    return np.concatenate([np.reshape(o, (-1,)) for o in outputs])


def _erf(x):
    return np.vectorize(math.erf)(x)


_IDS = np.array([0, 2, 0, 1, 2])

# (name, function of Tensors, reference of arrays, inputs)
OP_TABLE = [
    # unary
    ("sin", ops.sin, np.sin, [any_(3, 4)]),
    ("cos", ops.cos, np.cos, [any_(3, 4)]),
    ("tan", ops.tan, np.tan, [unit(3, 4)]),
    ("arcsin", ops.arcsin, np.arcsin, [unit(3, 4)]),
    ("arccos", ops.arccos, np.arccos, [unit(3, 4)]),
    ("arctan", ops.arctan, np.arctan, [any_(3, 4)]),
    ("sinh", ops.sinh, np.sinh, [any_(3, 4)]),
    ("cosh", ops.cosh, np.cosh, [any_(3, 4)]),
    ("arcsinh", ops.arcsinh, np.arcsinh, [any_(3, 4)]),
    ("arccosh", ops.arccosh, np.arccosh, [1.5 + pos(3, 4)]),
    ("arctanh", ops.arctanh, np.arctanh, [unit(3, 4)]),
    ("expm1", ops.expm1, np.expm1, [any_(3, 4)]),
    ("log1p", ops.log1p, np.log1p, [pos(3, 4)]),
    ("log2", ops.log2, np.log2, [pos(3, 4)]),
    ("log10", ops.log10, np.log10, [pos(3, 4)]),
    ("exp2", ops.exp2, np.exp2, [any_(3, 4)]),
    ("erf", ops.erf, _erf, [any_(3, 4)]),
    ("erfc", ops.erfc, lambda x: 1 - _erf(x), [any_(3, 4)]),
    ("erfinv", lambda x: ops.erf(ops.erfinv(x)), lambda x: x, [unit(3, 4)]),
    ("cbrt", ops.cbrt, np.cbrt, [away(3, 4)]),
    ("reciprocal", ops.reciprocal, np.reciprocal, [away(3, 4)]),
    ("rsqrt", ops.rsqrt, lambda x: 1 / np.sqrt(x), [pos(3, 4)]),
    ("sinc", ops.sinc, np.sinc, [away(3, 4)]),
    ("i0", ops.i0, np.i0, [any_(3, 4)]),
    ("deg2rad", ops.deg2rad, np.deg2rad, [any_(3, 4)]),
    ("rad2deg", ops.rad2deg, np.rad2deg, [any_(3, 4)]),
    ("fabs", ops.fabs, np.fabs, [away(3, 4)]),
    ("absolute", ops.absolute, np.absolute, [away(3, 4)]),
    ("nan_to_num", ops.nan_to_num, np.nan_to_num, [any_(3, 4)]),
    # piecewise constant: the gradient is zero away from the jumps
    ("ceil", ops.ceil, np.ceil, [distinct(3, 4) + 0.05]),
    ("floor", ops.floor, np.floor, [distinct(3, 4) + 0.05]),
    ("trunc", ops.trunc, np.trunc, [distinct(3, 4) + 0.05]),
    ("round", ops.round, np.round, [distinct(3, 4) + 0.02]),
    ("sign", ops.sign, np.sign, [away(3, 4)]),
    ("floor_divide", ops.floor_divide, np.floor_divide,
     [np.array([1.3, -2.7, 5.1]), np.array([1.0, 1.1, -2.0])]),
    ("heaviside", ops.heaviside, np.heaviside, [away(3, 4), any_(3, 4)]),
    # identities on real values
    ("convert_to_tensor", ops.convert_to_tensor, lambda x: x, [any_(2, 3)]),
    ("real", ops.real, np.real, [any_(2, 3)]),
    ("conj", ops.conj, np.conj, [any_(2, 3)]),
    ("conjugate", ops.conjugate, np.conjugate, [any_(2, 3)]),
    ("imag", ops.imag, np.imag, [any_(2, 3)]),
    ("angle", ops.angle, np.angle, [away(2, 3)]),
    # binary
    ("arctan2", ops.arctan2, np.arctan2, [any_(3, 4), away(4)]),
    ("hypot", ops.hypot, np.hypot, [away(3, 4), away(3, 1)]),
    ("logaddexp", ops.logaddexp, np.logaddexp, [any_(3, 4), any_(3, 4)]),
    ("logaddexp2", ops.logaddexp2, np.logaddexp2, [any_(3, 4), any_(4)]),
    ("mod", ops.mod, np.mod, [np.array([1.3, -2.7, 5.1]), np.array([1.0, 1.1, -2.0])]),
    ("fmod", ops.fmod, np.fmod, [np.array([1.3, -2.7, 5.1]), np.array([1.0, 1.1, -2.0])]),
    ("true_divide", ops.true_divide, np.true_divide, [any_(3, 4), away(3, 4)]),
    ("divide_no_nan", ops.divide_no_nan, np.divide, [any_(3, 4), away(3, 4)]),
    ("fmax", ops.fmax, np.fmax, [distinct(3, 4), distinct(3, 4) + 0.05]),
    ("fmin", ops.fmin, np.fmin, [distinct(3, 4), distinct(4) + 0.05]),
    ("ldexp", lambda x: ops.ldexp(x, np.array([1, -2, 3])),
     lambda x: np.ldexp(x, np.array([1, -2, 3])), [any_(2, 3)]),
    # reductions, sorting and scans
    ("sort", lambda x: ops.sort(x, axis=1), lambda x: np.sort(x, axis=1), [distinct(3, 4)]),
    ("meshgrid", lambda a, b: joined(*ops.meshgrid(a, b)),
     lambda a, b: joined_np(*np.meshgrid(a, b)), [any_(2), any_(3)]),
    ("amax", lambda x: ops.amax(x, axis=1), lambda x: x.max(axis=1), [distinct(3, 5)]),
    ("amin", lambda x: ops.amin(x, axis=0), lambda x: x.min(axis=0), [distinct(3, 5)]),
    ("prod", lambda x: ops.prod(x, axis=-1), lambda x: x.prod(axis=-1), [away(3, 4)]),
    ("prod_all", ops.prod, np.prod, [away(2, 3)]),
    ("var", lambda x: ops.var(x, axis=0), lambda x: x.var(axis=0), [any_(4, 3)]),
    ("std", lambda x: ops.std(x, axis=1, keepdims=True),
     lambda x: x.std(axis=1, keepdims=True), [any_(4, 3)]),
    ("ptp", lambda x: ops.ptp(x, axis=1), lambda x: np.ptp(x, axis=1), [distinct(3, 4)]),
    ("cumsum", lambda x: ops.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1), [any_(3, 4)]),
    ("cumsum_flat", ops.cumsum, np.cumsum, [any_(3, 4)]),
    ("cumprod", lambda x: ops.cumprod(x, axis=0), lambda x: np.cumprod(x, axis=0),
     [away(4, 3)]),
    ("average", lambda x, w: ops.average(x, axis=1, weights=w),
     lambda x, w: np.average(x, axis=1, weights=w), [any_(3, 4), pos(4)]),
    ("median", lambda x: ops.median(x, axis=1), lambda x: np.median(x, axis=1),
     [distinct(3, 4)]),
    ("quantile", lambda x: ops.quantile(x, 0.3, axis=0), lambda x: np.quantile(x, 0.3, axis=0),
     [distinct(5, 3)]),
    ("percentile", lambda x: ops.percentile(x, [20.0, 70.0]),
     lambda x: np.percentile(x, [20.0, 70.0]), [distinct(7)]),
    ("nansum", lambda x: ops.nansum(x, axis=0), lambda x: np.nansum(x, axis=0), [any_(3, 4)]),
    ("nanmean", ops.nanmean, np.nanmean, [any_(3, 4)]),
    ("nanmax", lambda x: ops.nanmax(x, axis=1), lambda x: np.nanmax(x, axis=1),
     [distinct(3, 4)]),
    ("nanmin", ops.nanmin, np.nanmin, [distinct(3, 4)]),
    ("nanprod", lambda x: ops.nanprod(x, axis=1), lambda x: np.nanprod(x, axis=1),
     [away(3, 4)]),
    ("nanvar", lambda x: ops.nanvar(x, axis=1), lambda x: np.nanvar(x, axis=1), [any_(3, 4)]),
    ("nanstd", ops.nanstd, np.nanstd, [any_(3, 4)]),
    ("nancumsum", lambda x: ops.nancumsum(x, axis=1), lambda x: np.nancumsum(x, axis=1),
     [any_(3, 4)]),
    ("nancumprod", lambda x: ops.nancumprod(x, axis=1), lambda x: np.nancumprod(x, axis=1),
     [away(3, 4)]),
    ("nanmedian", lambda x: ops.nanmedian(x, axis=0), lambda x: np.nanmedian(x, axis=0),
     [distinct(5, 2)]),
    ("nanquantile", lambda x: ops.nanquantile(x, 0.6), lambda x: np.nanquantile(x, 0.6),
     [distinct(6)]),
    ("nanpercentile", lambda x: ops.nanpercentile(x, 40.0, axis=1),
     lambda x: np.nanpercentile(x, 40.0, axis=1), [distinct(2, 6)]),
    ("corrcoef", ops.corrcoef, np.corrcoef, [any_(3, 6)]),
    # products
    ("einsum", lambda a, b: ops.einsum("ij,jk->ik", a, b),
     lambda a, b: np.einsum("ij,jk->ik", a, b), [any_(3, 4), any_(4, 2)]),
    ("einsum_batch_trace", lambda a, b: ops.einsum("bij,bji->b", a, b),
     lambda a, b: np.einsum("bij,bji->b", a, b), [any_(2, 3, 4), any_(2, 4, 3)]),
    ("tensordot", lambda a, b: ops.tensordot(a, b, axes=([1, 2], [0, 1])),
     lambda a, b: np.tensordot(a, b, axes=([1, 2], [0, 1])), [any_(2, 3, 4), any_(3, 4, 5)]),
    ("dot", ops.dot, np.dot, [any_(3, 4), any_(4, 2)]),
    ("dot_vectors", ops.dot, np.dot, [any_(4), any_(4)]),
    ("outer", ops.outer, np.outer, [any_(3), any_(4)]),
    ("inner", ops.inner, np.inner, [any_(2, 4), any_(3, 4)]),
    ("vdot", ops.vdot, np.vdot, [any_(2, 3), any_(2, 3)]),
    ("kron", ops.kron, np.kron, [any_(2, 3), any_(2, 2)]),
    ("cross", ops.cross, np.cross, [any_(4, 3), any_(4, 3)]),
    ("cdist", ops.cdist, lambda x, y: np.sqrt(((x[:, None] - y[None]) ** 2).sum(-1)),
     [any_(3, 2), any_(4, 2)]),
    ("correlate", ops.correlate, np.correlate, [any_(6), any_(3)]),
    ("correlate_full", lambda a, v: ops.correlate(a, v, mode="full"),
     lambda a, v: np.correlate(a, v, mode="full"), [any_(5), any_(3)]),
    ("diff", lambda x: ops.diff(x, n=2, axis=0), lambda x: np.diff(x, n=2, axis=0),
     [any_(5, 3)]),
    ("trapezoid", lambda y: ops.trapezoid(y, dx=0.5), lambda y: np.trapezoid(y, dx=0.5),
     [any_(3, 5)]),
    # shaping and joining
    ("broadcast_to", lambda x: ops.broadcast_to(x, (2, 3, 4)),
     lambda x: np.broadcast_to(x, (2, 3, 4)), [any_(3, 1)]),
    ("moveaxis", lambda x: ops.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1),
     [any_(2, 3, 4)]),
    ("swapaxes", lambda x: ops.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2),
     [any_(2, 3, 4)]),
    ("ravel", ops.ravel, np.ravel, [any_(2, 3)]),
    ("flip", lambda x: ops.flip(x, axis=1), lambda x: np.flip(x, axis=1), [any_(2, 3)]),
    ("fliplr", ops.fliplr, np.fliplr, [any_(2, 3)]),
    ("flipud", ops.flipud, np.flipud, [any_(2, 3)]),
    ("rot90", lambda x: ops.rot90(x, k=3), lambda x: np.rot90(x, k=3), [any_(2, 3, 2)]),
    ("roll", lambda x: ops.roll(x, 2, axis=1), lambda x: np.roll(x, 2, axis=1), [any_(2, 5)]),
    ("roll_flat", lambda x: ops.roll(x, -3), lambda x: np.roll(x, -3), [any_(2, 5)]),
    ("get_item", lambda x: ops.get_item(x, (1, slice(None, None, 2))),
     lambda x: x[1, ::2], [any_(3, 5)]),
    ("split", lambda x: joined(*ops.split(x, [1, 3], axis=1)),
     lambda x: joined_np(*np.split(x, [1, 3], axis=1)), [any_(2, 5)]),
    ("array_split", lambda x: joined(*ops.array_split(x, 3)),
     lambda x: joined_np(*np.array_split(x, 3)), [any_(7)]),
    ("hsplit", lambda x: joined(*ops.hsplit(x, 2)), lambda x: joined_np(*np.hsplit(x, 2)),
     [any_(3, 4)]),
    ("vsplit", lambda x: joined(*ops.vsplit(x, 2)), lambda x: joined_np(*np.vsplit(x, 2)),
     [any_(4, 3)]),
    ("dsplit", lambda x: joined(*ops.dsplit(x, 2)), lambda x: joined_np(*np.dsplit(x, 2)),
     [any_(2, 3, 4)]),
    ("unstack", lambda x: joined(*ops.unstack(x, axis=1)),
     lambda x: joined_np(*np.moveaxis(x, 1, 0)), [any_(2, 3)]),
    ("hstack", lambda a, b: ops.hstack([a, b]), lambda a, b: np.hstack([a, b]),
     [any_(2, 3), any_(2, 1)]),
    ("vstack", lambda a, b: ops.vstack([a, b]), lambda a, b: np.vstack([a, b]),
     [any_(3), any_(2, 3)]),
    ("dstack", lambda a, b: ops.dstack([a, b]), lambda a, b: np.dstack([a, b]),
     [any_(2, 3), any_(2, 3)]),
    ("append", ops.append, np.append, [any_(2, 3), any_(4)]),
    ("append_axis", lambda a, b: ops.append(a, b, axis=0),
     lambda a, b: np.append(a, b, axis=0), [any_(2, 3), any_(1, 3)]),
    # diagonals
    ("diag_of_vector", lambda x: ops.diag(x, k=1), lambda x: np.diag(x, k=1), [any_(3)]),
    ("diag_of_matrix", ops.diag, np.diag, [any_(3, 4)]),
    ("diagflat", ops.diagflat, np.diagflat, [any_(2, 2)]),
    ("diagonal", lambda x: ops.diagonal(x, offset=1, axis1=1, axis2=2),
     lambda x: np.diagonal(x, offset=1, axis1=1, axis2=2), [any_(2, 3, 4)]),
    ("trace", ops.trace, np.trace, [any_(3, 3)]),
    ("tril", lambda x: ops.tril(x, k=-1), lambda x: np.tril(x, k=-1), [any_(3, 4)]),
    ("triu", ops.triu, np.triu, [any_(2, 3, 3)]),
    # indexing
    ("take", lambda x: ops.take(x, np.array([2, 0, 2]), axis=1),
     lambda x: np.take(x, [2, 0, 2], axis=1), [any_(2, 3)]),
    ("take_flat", lambda x: ops.take(x, np.array([[5, 1], [1, 0]])),
     lambda x: np.take(x, [[5, 1], [1, 0]]), [any_(2, 3)]),
    ("take_along_axis", lambda x: ops.take_along_axis(x, np.array([[0, 0], [2, 1]]), axis=1),
     lambda x: np.take_along_axis(x, np.array([[0, 0], [2, 1]]), axis=1), [any_(2, 3)]),
    ("slice", lambda x: ops.slice(x, (1, 0), (2, 2)), lambda x: x[1:3, 0:2], [any_(3, 4)]),
    ("slice_update", lambda x, u: ops.slice_update(x, (1, 1), u),
     lambda x, u: np.concatenate([x[:1], np.concatenate([x[1:, :1], u, x[1:, 3:]], 1)]),
     [any_(3, 4), any_(2, 2)]),
    ("scatter", lambda v: ops.scatter(np.array([[0, 1], [2, 2], [0, 1]]), v, (3, 3)),
     lambda v: np.array([[0, v[0] + v[2], 0], [0, 0, 0], [0, 0, v[1]]]), [any_(3)]),
    ("scatter_update", lambda x, u: ops.scatter_update(x, np.array([[0, 1], [2, 0]]), u),
     lambda x, u: np.where(np.isin(np.arange(9).reshape(3, 3), [1, 6]),
                           np.array([[0, u[0], 0], [0, 0, 0], [u[1], 0, 0]]), x),
     [any_(3, 3), any_(2)]),
    ("segment_sum", lambda x: ops.segment_sum(x, _IDS, 3),
     lambda x: np.stack([x[_IDS == i].sum(0) for i in range(3)]), [any_(5, 2)]),
    ("segment_max", lambda x: ops.segment_max(x, _IDS, 3),
     lambda x: np.stack([x[_IDS == i].max(0) for i in range(3)]), [distinct(5, 2)]),
    ("segment_min", lambda x: ops.segment_min(x, _IDS, 3),
     lambda x: np.stack([x[_IDS == i].min(0) for i in range(3)]), [distinct(5, 2)]),
    ("segment_prod", lambda x: ops.segment_prod(x, _IDS, 3),
     lambda x: np.stack([x[_IDS == i].prod(0) for i in range(3)]), [away(5, 2)]),
    ("select", lambda a, b: ops.select([np.array([True, False, False]),
                                        np.array([False, True, False])], [a, b], 0.5),
     lambda a, b: np.select([np.array([True, False, False]), np.array([False, True, False])],
                            [a, b], 0.5), [any_(3), any_(3)]),
]

