"""Bounded, S-shaped activations: logistic, tanh, arctan, softsign, erf, hard tanh.

Each is written once (value, phi', phi'') for both torch and NumPy; see ``ops.py``.
"""

from __future__ import annotations

import math

from depthscope.activations.base import Definition, Tail
from depthscope.activations.ops import SQRT_PI, Array, Ops
from depthscope.activations.registry import register

INF = math.inf


def _sech2(y: Array, o: Ops) -> Array:
    """``sech(y)^2 = 4 e^{-2|y|} / (1 + e^{-2|y|})^2``: no cancellation as in ``1 - tanh^2``."""
    e = o.exp_neg(2.0 * o.abs(y))
    return 4.0 * e / (1.0 + e) ** 2


def logistic_parts(x: Array, o: Ops) -> tuple[Array, Array]:
    """``(s, 1 - s)`` for ``s = sigmoid(x)``, from one ``e = exp(-|x|)`` and one division.

    ``s = 1/(1 + e)`` for ``x >= 0`` and ``e/(1 + e)`` otherwise: exact in both tails, where
    ``1 - sigmoid(x)`` would cancel; half the work of ``sigmoid(x) * sigmoid(-x)``.
    """
    e = o.exp_neg(o.abs(x))
    r = 1.0 / (1.0 + e)
    pos = x >= 0
    return o.where(pos, r, e * r), o.where(pos, e * r, r)


def _x_over_1px2(x: Array, o: Ops) -> Array:
    """``x / (1 + x^2)`` without overflow of ``x^2``."""
    big = o.abs(x) > 1.0
    safe = o.where(big, x, 1.0)
    return o.where(big, 1.0 / (safe + 1.0 / safe), x / (1.0 + x * x))


@register("sigmoid", aliases=("logistic", "logistic_sigmoid"))
def sigmoid() -> Definition:
    def s(x: Array, o: Ops) -> Array:
        return o.sigmoid(x)

    def ds(x: Array, o: Ops) -> Array:
        e = o.exp_neg(o.abs(x))  # s (1 - s) = e/(1 + e)^2 for either sign of x
        r = 1.0 / (1.0 + e)
        return e * r * r

    def d2s(x: Array, o: Ops) -> Array:
        p, q = logistic_parts(x, o)
        return p * q * (q - p)

    return Definition(
        "sigmoid", s, ds, d2s,
        limits=((0.0, 1.0), (0.0, 0.0), (0.0, 0.0)),
        odd=False, monotone=True,
        tails=(Tail("exponential", 1.0), Tail("exponential", 1.0)),
        formula="1 / (1 + e^-x);  phi' = s(1 - s);  phi'' = s(1 - s)(1 - 2s)",
        reference="logistic function; MATLAB calls it logsig (not the essay's logsig)",
    )


@register(
    "tanh", aliases=("scaled_tanh",), presets={"lecun_tanh": {"scale": 2 / 3, "gain": 1.7159}}
)
def tanh() -> Definition:
    def t(x: Array, o: Ops) -> Array:
        return o.tanh(x)  # (compiled kernels: a rational approximation, see fastmath.py)

    def dt(x: Array, o: Ops) -> Array:
        return _sech2(x, o)

    def d2t(x: Array, o: Ops) -> Array:
        return -2.0 * t(x, o) * _sech2(x, o)

    return Definition(
        "tanh", t, dt, d2t,
        limits=((-1.0, 1.0), (0.0, 0.0), (0.0, 0.0)),
        odd=True, monotone=True,
        tails=(Tail("exponential", 2.0), Tail("exponential", 2.0)),
        formula="tanh(x);  phi' = sech^2 x;  phi'' = -2 tanh(x) sech^2 x",
        reference="tanh(n x) is get('tanh', scale=n); LeCun et al. 1998: 1.7159 tanh(2x/3)",
    )


@register("arctan", aliases=("atan",))
def arctan() -> Definition:
    def a(x: Array, o: Ops) -> Array:
        return o.arctan(x)

    def da(x: Array, o: Ops) -> Array:
        return 1.0 / (1.0 + x * x)

    def d2a(x: Array, o: Ops) -> Array:
        return -2.0 * _x_over_1px2(x, o) * da(x, o)

    return Definition(
        "arctan", a, da, d2a,
        limits=((-math.pi / 2, math.pi / 2), (0.0, 0.0), (0.0, 0.0)),
        odd=True, monotone=True,
        tails=(Tail("power", 2.0), Tail("power", 2.0)),
        formula="arctan(x);  phi' = 1/(1 + x^2);  phi'' = -2x/(1 + x^2)^2",
        reference="essay: arctan has a power-law (not exponential) tail",
    )


@register("softsign")
def softsign() -> Definition:
    def f(x: Array, o: Ops) -> Array:
        return x / (1.0 + o.abs(x))

    def df(x: Array, o: Ops) -> Array:
        return 1.0 / (1.0 + o.abs(x)) ** 2

    def d2f(x: Array, o: Ops) -> Array:
        return -2.0 * o.sign(x) / (1.0 + o.abs(x)) ** 3

    return Definition(
        "softsign", f, df, d2f,
        limits=((-1.0, 1.0), (0.0, 0.0), (0.0, 0.0)),
        odd=True, monotone=True,
        tails=(Tail("power", 2.0), Tail("power", 2.0)),
        cusps=(0.0,),
        formula="x/(1 + |x|);  phi' = 1/(1 + |x|)^2;  phi'' = -2 sign(x)/(1 + |x|)^3",
        reference="Bergstra et al. 2009; Glorot & Bengio 2010",
    )


@register("erf")
def erf() -> Definition:
    def f(x: Array, o: Ops) -> Array:
        return o.erf(x)

    def df(x: Array, o: Ops) -> Array:
        return (2.0 / SQRT_PI) * o.exp_neg(x * x)

    def d2f(x: Array, o: Ops) -> Array:
        return -2.0 * x * df(x, o)

    return Definition(
        "erf", f, df, d2f,
        limits=((-1.0, 1.0), (0.0, 0.0), (0.0, 0.0)),
        odd=True, monotone=True,
        tails=(Tail("gaussian", 1.0), Tail("gaussian", 1.0)),
        formula="erf(x);  phi' = 2/sqrt(pi) e^{-x^2};  phi'' = -2x phi'",
        reference="closed-form Gaussian kernels: Williams 1997",
    )


@register("hardtanh", aliases=("hard_tanh",))
def hardtanh() -> Definition:
    def f(x: Array, o: Ops) -> Array:
        return o.clip(x, -1.0, 1.0)

    def df(x: Array, o: Ops) -> Array:
        return o.to_float(o.abs(x) < 1.0, x)

    def d2f(x: Array, o: Ops) -> Array:
        return o.zeros_like(x)

    return Definition(
        "hardtanh", f, df, d2f,
        limits=((-1.0, 1.0), (0.0, 0.0), (0.0, 0.0)),
        odd=True, monotone=True,
        tails=(Tail("zero"), Tail("zero")),
        kinks=(-1.0, 1.0),
        formula="clip(x, -1, 1);  phi' = 1 for |x| < 1 else 0",
        reference="Collobert 2004",
    )
