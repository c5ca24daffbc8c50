"""A user's elementwise function as an :class:`~depthscope.activations.Activation`.

Derivatives are central finite differences in float64 (step ``h = 1e-5 (1 + |x|)`` for
``phi'``, ``1e-4 (1 + |x|)`` for ``phi''``; truncation error ``O(h^2)``), so theory (critical
``sigma_w``, transforms) works for any function without a closed form. Facts the registry
knows exactly (limits, tails, oddness) are estimated on a grid and marked as such.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from depthscope.activations import Activation, Definition, Tail
from depthscope.activations.ops import NUMPY, Array, Ops

Function = Callable[[torch.Tensor], torch.Tensor]
BIG = 1e8  # where limits at +-inf are read
GRID = np.linspace(-8.0, 8.0, 161)


def numerical_activation(fn: Function, name: str = "user") -> Activation:
    """``fn`` (torch, elementwise) with numerical ``phi'`` and ``phi''``.

    Example: ``numerical_activation(lambda x: x * torch.sigmoid(2 * x), "swish2")``.
    """

    def phi(x: Array, o: Ops) -> Array:
        return _call(fn, x, o)

    def dphi(x: Array, o: Ops) -> Array:
        h = 1e-5 * (1.0 + o.abs(x))
        return (_call(fn, x + h, o) - _call(fn, x - h, o)) / (2.0 * h)

    def d2phi(x: Array, o: Ops) -> Array:
        h = 1e-4 * (1.0 + o.abs(x))
        return (_call(fn, x + h, o) - 2.0 * _call(fn, x, o) + _call(fn, x - h, o)) / (h * h)

    grid = GRID
    values, slopes = phi(grid, NUMPY), dphi(grid, NUMPY)
    limits = tuple(
        tuple(_limit(float(f(np.float64(s * BIG), NUMPY))) for s in (-1.0, 1.0))
        for f in (phi, dphi, d2phi)
    )
    definition = Definition(
        name, phi, dphi, d2phi,
        limits=limits,  # type: ignore[arg-type]
        odd=bool(np.allclose(phi(-grid, NUMPY), -values, atol=1e-9)),
        monotone=bool(np.all(slopes >= -1e-9) or np.all(slopes <= 1e-9)),
        tails=(_tail(dphi, -1.0), _tail(dphi, 1.0)),
        formula=f"{name}(x) (user function; derivatives by central differences)",
        reference="numerical: depthscope.fix.numerical_activation",
    )
    return Activation(definition)


def _call(fn: Function, x: Array, o: Ops) -> Array:
    if o is NUMPY:
        with torch.no_grad():
            out = fn(torch.as_tensor(np.asarray(x, dtype=np.float64)))
        return out.detach().cpu().numpy()
    with torch.no_grad():
        return fn(x.double()).to(x.dtype)


def _limit(value: float) -> float:
    """A value read at ``|x| = 1e8``: beyond ``1e6`` in size it stands for infinity."""
    return math.copysign(math.inf, value) if abs(value) > 1e6 else value


def _tail(dphi: Callable[[Array, Ops], Array], side: float) -> Tail:
    """Crude tail class of ``|phi'|`` from its values at ``|x| = 10, 20, 1e3``."""
    d10, d20, d1k = (abs(float(dphi(np.float64(side * t), NUMPY))) for t in (10, 20, 1e3))
    if d10 == 0.0 and d20 == 0.0:
        return Tail("zero")
    if d1k > 1e-3:
        return Tail("constant")
    if d20 > 0 and d10 > 0 and d20 / d10 < 0.5 ** 10:
        return Tail("exponential", math.log(d10 / d20) / 10.0)
    return Tail("power", max(math.log(max(d10, 1e-300) / max(d20, 1e-300)) / math.log(2), 0.0))
