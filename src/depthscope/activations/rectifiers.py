"""Rectifier-like activations: identity, ReLU (the essay's ramp), leaky ReLU, softplus,
ELU/SELU, GELU and SiLU.

Correction to the essay: it prints the softplus derivative as ``exp(x)/exp(x + 1)``, which
is the constant ``1/e``; the derivative of ``ln(1 + e^x)`` is ``e^x/(1 + e^x) = sigmoid(x)``.
Its advice "use the ramp derivative for |x| > ~4" is ``get("softplus", ramp_beyond=4)``: the
forward value stays exact and the gradient error is at most ``sigmoid(-4) = 0.018``.
"""

from __future__ import annotations

import math

from depthscope.activations.base import Definition, Tail
from depthscope.activations.ops import SQRT_2PI, Array, Ops
from depthscope.activations.registry import register
from depthscope.activations.sigmoidal import logistic_parts

INF = math.inf
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _over_x(y: Array, x: Array, o: Ops) -> Array:
    """``s(x) = y/x`` for ``y = x s(x)`` with ``s(0) = 1/2`` (gelu's Phi, silu's sigmoid)."""
    return o.where(x == 0, 0.5, y / x)


@register("identity", aliases=("linear",))
def identity() -> Definition:
    return Definition(
        "identity",
        lambda x, o: x,
        lambda x, o: o.ones_like(x),
        lambda x, o: o.zeros_like(x),
        limits=((-INF, INF), (1.0, 1.0), (0.0, 0.0)),
        odd=True, monotone=True,
        tails=(Tail("constant"), Tail("constant")),
        formula="x;  phi' = 1",
        reference="deep linear networks: Saxe et al. 2014",
    )


@register("relu", aliases=("ramp", "rectifier"))
def relu() -> Definition:
    return Definition(
        "relu",
        lambda x, o: o.relu(x),
        lambda x, o: o.to_float(x > 0, x),
        lambda x, o: o.zeros_like(x),
        limits=((0.0, INF), (0.0, 1.0), (0.0, 0.0)),
        odd=False, monotone=True,
        tails=(Tail("zero"), Tail("constant")),
        kinks=(0.0,),
        formula="max(x, 0);  phi' = 1 for x > 0 else 0 (phi'(0) = 0 as torch.relu)",
        reference="Nair & Hinton 2010; He et al. 2015; the essay's ramp function",
    )


@register("leaky_relu", aliases=("leakyrelu",))
def leaky_relu(negative_slope: float = 0.01) -> Definition:
    if not 0.0 <= negative_slope < 1.0:
        raise ValueError(f"negative_slope must lie in [0, 1), got {negative_slope!r}")
    a = negative_slope
    return Definition(
        "leaky_relu",
        lambda x, o: o.where(x > 0, x, a * x),
        lambda x, o: a + (1.0 - a) * o.to_float(x > 0, x),
        lambda x, o: o.zeros_like(x),
        limits=((-INF if a > 0 else 0.0, INF), (a, 1.0), (0.0, 0.0)),
        odd=False, monotone=True,
        tails=(Tail("constant") if a > 0 else Tail("zero"), Tail("constant")),
        kinks=(0.0,),
        formula=f"x for x > 0 else {a:g} x",
        reference="Maas et al. 2013",
    )


@register("softplus")
def softplus(ramp_beyond: float = INF) -> Definition:
    if not ramp_beyond > 0:
        raise ValueError(f"ramp_beyond must be > 0 (or inf to disable), got {ramp_beyond!r}")
    t = ramp_beyond

    def f(x: Array, o: Ops) -> Array:
        return o.relu(x) + o.log1p_exp(-o.abs(x))

    def df(x: Array, o: Ops) -> Array:
        s = o.sigmoid(x)
        if math.isinf(t):
            return s
        return o.where(x > t, 1.0, o.where(x < -t, 0.0, s))

    def d2f(x: Array, o: Ops) -> Array:
        p, q = logistic_parts(x, o)
        return p * q if math.isinf(t) else o.where(o.abs(x) > t, 0.0, p * q)

    return Definition(
        "softplus", f, df, d2f,
        limits=((0.0, INF), (0.0, 1.0), (0.0, 0.0)),
        odd=False, monotone=True,
        tails=(Tail("exponential", 1.0), Tail("constant")),
        kinks=() if math.isinf(t) else (-t, t),
        formula="ln(1 + e^x);  phi' = sigmoid(x) (the essay prints exp(x)/exp(x+1) = 1/e)",
        reference="Dugas et al. 2001; the essay (seed 002)",
        # e^{-y} = 1/(1 + e^x) = sigmoid(-x), so sigmoid(x) = -expm1(-y), exact in both tails
        # (y = inf at x = inf gives 1, y = 0 at x = -inf gives 0)
        dphi_from_y=None if ramp_beyond < INF else lambda y, o: -o.expm1(-y),
    )


@register("elu", presets={"selu": {"alpha": SELU_ALPHA, "gain": SELU_SCALE}})
def elu(alpha: float = 1.0) -> Definition:
    if not alpha > 0 or math.isinf(alpha):
        raise ValueError(f"alpha must be a finite number > 0, got {alpha!r}")

    def f(x: Array, o: Ops) -> Array:
        return o.where(x > 0, x, alpha * o.expm1(-o.relu(-x)))

    def df(x: Array, o: Ops) -> Array:
        return o.where(x > 0, 1.0, alpha * o.exp_neg(o.relu(-x)))

    def d2f(x: Array, o: Ops) -> Array:
        return o.where(x > 0, 0.0, alpha * o.exp_neg(o.relu(-x)))

    return Definition(
        "elu", f, df, d2f,
        limits=((-alpha, INF), (0.0, 1.0), (0.0, 0.0)),
        odd=False, monotone=True,
        tails=(Tail("exponential", 1.0), Tail("constant")),
        kinks=(0.0,) if alpha != 1.0 else (),
        cusps=() if alpha != 1.0 else (0.0,),
        formula=f"x for x > 0 else {alpha:g}(e^x - 1)",
        reference="Clevert et al. 2016; SELU: Klambauer et al. 2017 (gain 1.0507, alpha 1.6733)",
    )


@register("gelu")
def gelu() -> Definition:
    def pdf(x: Array, o: Ops) -> Array:
        return o.exp_neg(0.5 * x * x) * (1.0 / SQRT_2PI)

    return Definition(
        "gelu",
        lambda x, o: x * o.ndtr(x),  # ndtr: accurate tail (1 + erf cancels)
        lambda x, o: o.ndtr(x) + x * pdf(x, o),
        lambda x, o: 2.0 * pdf(x, o) - x * (x * pdf(x, o)),
        limits=((0.0, INF), (0.0, 1.0), (0.0, 0.0)),
        odd=False, monotone=False,
        tails=(Tail("gaussian", 0.5), Tail("constant")),
        formula="x Phi(x);  phi' = Phi(x) + x N(x);  phi'' = (2 - x^2) N(x)",
        reference="Hendrycks & Gimpel 2016 (exact, erf form)",
        # Phi(x) = y/x: no erf in the backward
        dphi_from_value=lambda x, y, o: _over_x(y, x, o) + x * pdf(x, o),
    )


@register("silu", aliases=("swish",))
def silu() -> Definition:
    def df(x: Array, o: Ops) -> Array:
        s, q = logistic_parts(x, o)
        return s * (1.0 + x * q)

    def d2f(x: Array, o: Ops) -> Array:
        s, q = logistic_parts(x, o)
        return s * q * (2.0 + x * (q - s))

    return Definition(
        "silu",
        lambda x, o: x * o.sigmoid(x),
        df, d2f,
        limits=((0.0, INF), (0.0, 1.0), (0.0, 0.0)),
        odd=False, monotone=False,
        tails=(Tail("exponential", 1.0), Tail("constant")),
        formula="x sigmoid(x);  phi' = s(1 + x(1 - s));  phi'' = s(1 - s)(2 + x(1 - 2s))",
        reference="Elfwing et al. 2018; Ramachandran et al. 2017 (swish)",
        # s = y/x and x s (1 - s) = x - y: phi' = s (1 + (x - y)), no exp
        dphi_from_value=lambda x, y, o: _over_x(y, x, o) * (1.0 + (x - y)),
    )
