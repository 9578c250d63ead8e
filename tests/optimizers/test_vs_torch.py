"""deepgrad's optimizers against torch.optim on identical float64 parameters and gradients.

Where Keras's rule and PyTorch's coincide (SGD with momentum and Nesterov, RMSprop with
``rho == alpha``, Adagrad, Nadam with PyTorch's ``momentum_decay=1`` which is Keras 3's
schedule, Adam and AdamW with ``epsilon=0``) the parameters must agree to float64
rounding: ``rtol=1e-10``. Keras and PyTorch place epsilon differently (inside or outside
the square root for RMSprop and Adagrad; before or after the bias correction for Adam),
so those runs use ``epsilon=0``; Adam with its default epsilon gets its own tolerance,
derived in ``test_adam_default_epsilon_within_placement_bound``.
"""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad import optimizers
from deepgrad.tensor import Variable

torch = pytest.importorskip(
    "torch", reason="PyTorch is the reference implementation here (pip install -e .[test])"
)

SHAPES = [(3, 4), (4,), (2, 2, 2)]
STEPS = 5


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(s) for s in SHAPES]
    # Gradients bounded away from 0 (|g| in [0.5, 1.5]) so the Adam tolerance below holds.
    grads = [
        [rng.choice([-1.0, 1.0], s) * rng.uniform(0.5, 1.5, s) for s in SHAPES]
        for _ in range(STEPS)
    ]
    return start, grads


def _run_deepgrad(optimizer, start, grads):
    variables = [Variable(w.copy()) for w in start]
    for step_grads in grads:
        optimizer.apply_gradients(zip(step_grads, variables))
    return [v.numpy() for v in variables]


def _run_torch(make_optimizer, start, grads):
    # torch keeps scalar state (step counts, NAdam's mu_product) in the default dtype;
    # float64 makes it comparable at float64 rounding.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        params = [torch.tensor(w.copy(), requires_grad=True) for w in start]
        optimizer = make_optimizer(params)
        for step_grads in grads:
            for p, g in zip(params, step_grads):
                p.grad = torch.tensor(g)
            optimizer.step()
    finally:
        torch.set_default_dtype(previous)
    return [p.detach().numpy() for p in params]


class _Decoupled:
    """A torch optimizer with Keras's decoupled weight decay ``w -= w * wd * lr`` before
    each step (PyTorch's Adadelta only has the L2 form, added to the gradient)."""

    def __init__(self, cls, params, weight_decay, **kwargs):
        self.params, self.decay, self.lr = params, weight_decay, kwargs["lr"]
        self.inner = cls(params, **kwargs)

    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= p * self.decay * self.lr
        self.inner.step()


CASES = [
    ("sgd", lambda: optimizers.SGD(learning_rate=0.1),
     lambda p: torch.optim.SGD(p, lr=0.1)),
    ("sgd-momentum", lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ("sgd-nesterov", lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    ("adagrad",
     lambda: optimizers.Adagrad(learning_rate=0.1, initial_accumulator_value=0.1, epsilon=0.0),
     lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=0.0)),
    ("rmsprop", lambda: optimizers.RMSprop(learning_rate=0.01, rho=0.9, epsilon=0.0),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=0.0)),
    ("rmsprop-momentum-centered",
     lambda: optimizers.RMSprop(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True,
                                epsilon=0.0),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.8, momentum=0.5, centered=True,
                                   eps=0.0)),
    ("adam-eps0", lambda: optimizers.Adam(learning_rate=0.01, epsilon=0.0),
     lambda p: torch.optim.Adam(p, lr=0.01, eps=0.0)),
    ("adam-amsgrad-eps0", lambda: optimizers.Adam(learning_rate=0.01, epsilon=0.0, amsgrad=True),
     lambda p: torch.optim.Adam(p, lr=0.01, eps=0.0, amsgrad=True)),
    ("adamw-eps0", lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1, epsilon=0.0),
     lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, eps=0.0)),
    # Both add epsilon after the bias correction of v: the same rule with epsilon too.
    ("nadam", lambda: optimizers.Nadam(learning_rate=0.01, epsilon=1e-7),
     lambda p: torch.optim.NAdam(p, lr=0.01, eps=1e-7, momentum_decay=1.0)),
    # Adadelta: the same rule, epsilon inside both square roots.
    ("adadelta", lambda: optimizers.Adadelta(learning_rate=1.0, rho=0.9, epsilon=1e-6),
     lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-6)),
    ("adadelta-decay",
     lambda: optimizers.Adadelta(learning_rate=0.5, rho=0.95, epsilon=1e-7, weight_decay=0.1),
     lambda p: _Decoupled(torch.optim.Adadelta, p, lr=0.5, rho=0.95, eps=1e-7,
                          weight_decay=0.1)),
    # Adamax: PyTorch adds epsilon inside the max, Keras after it: the same with 0.
    ("adamax-eps0", lambda: optimizers.Adamax(learning_rate=0.02, epsilon=0.0),
     lambda p: torch.optim.Adamax(p, lr=0.02, eps=0.0)),
]





@pytest.mark.parametrize("name, ours, theirs", CASES, ids=[c[0] for c in CASES])
def test_matches_torch_where_rules_coincide(name, ours, theirs):
    start, grads = _data()
    got = _run_deepgrad(ours(), start, grads)
    expected = _run_torch(theirs, start, grads)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_default_epsilon_within_placement_bound(amsgrad):
    """Keras: ``m * alpha / (sqrt(v) + eps)``; PyTorch: ``m * alpha / (sqrt(v) + eps * sqrt(bc2))``.

    The two updates differ by at most ``|update| * eps / sqrt(v)``. Here
    ``v >= (1 - beta_2) * beta_2**(t-1) * min|g|**2`` with ``min|g| = 0.5``, so
    ``eps / sqrt(v) <= 1e-7 / (0.0316 * 0.5) ~ 6.4e-6``; ``|update| <= 3 * lr`` for these
    gradients. Over 5 steps with ``lr = 0.01`` the parameters may drift apart by at most
    ``5 * 3 * 0.01 * 6.4e-6 ~ 1e-6``: that is the tolerance.
    """
    lr, eps, beta_2, g_min = 0.01, 1e-7, 0.999, 0.5
    bound = STEPS * 3 * lr * eps / (np.sqrt((1 - beta_2) * beta_2 ** (STEPS - 1)) * g_min)
    start, grads = _data()
    got = _run_deepgrad(optimizers.Adam(learning_rate=lr, epsilon=eps, amsgrad=amsgrad),
                        start, grads)
    expected = _run_torch(
        lambda p: torch.optim.Adam(p, lr=lr, eps=eps, amsgrad=amsgrad), start, grads
    )
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=bound)


def test_nadam_differs_from_torch_default_schedule():
    """Keras 3's Nadam uses 0.96**t, not PyTorch's default 0.96**(0.004 t): they must differ."""
    start, grads = _data()
    got = _run_deepgrad(optimizers.Nadam(learning_rate=0.01), start, grads)
    expected = _run_torch(lambda p: torch.optim.NAdam(p, lr=0.01, eps=1e-7), start, grads)
    assert not np.allclose(got[0], expected[0], rtol=1e-6, atol=0)
