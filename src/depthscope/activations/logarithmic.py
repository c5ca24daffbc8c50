"""The essay's logarithmic activations: logsig, the logarithmic semisigmoid and logmin.

Naming trap: the essay's *logsig* is ``sign(x) ln(1+|x|) / (ln(1+|x|) + 1)``. MATLAB's
``logsig`` is the logistic sigmoid (here ``sigmoid``) and torch's ``LogSigmoid`` is
``log(sigmoid(x))``; neither is this function.

Corrections to the essay's printed derivatives (each checked in the tests):
- logarithmic semisigmoid: the essay prints ``-1/(|x|+1)`` for ``x <= 0``; the function is
  increasing, so the derivative is ``+1/(1+|x|)`` everywhere.
- logsig: the printed ``1/(|x|+1)(ln(|x|+1)+1)^2`` is right (read as one denominator).
"""

from __future__ import annotations

from depthscope.activations.base import Definition, Tail
from depthscope.activations.ops import Array, Ops
from depthscope.activations.registry import register


@register("logsig", aliases=("logarithmic_sigmoid", "log_sigmoid_essay"))
def logsig() -> Definition:
    def f(x: Array, o: Ops) -> Array:
        ln = o.log1p_abs(x)
        return o.copysign(ln / (ln + 1.0), x)  # (cheaper than sign(x) * ...)

    def df(x: Array, o: Ops) -> Array:
        ln = o.log1p_abs(x)
        return 1.0 / ((1.0 + o.abs(x)) * (1.0 + ln) ** 2)

    def d2f(x: Array, o: Ops) -> Array:
        a = 1.0 + o.abs(x)
        ln = o.log1p_abs(x)
        return -o.sign(x) * (ln + 3.0) / (a * a * (1.0 + ln) ** 3)

    return Definition(
        "logsig", f, df, d2f,
        limits=((-1.0, 1.0), (0.0, 0.0), (0.0, 0.0)),
        odd=True, monotone=True,
        tails=(Tail("power", 1.0, log_power=2.0), Tail("power", 1.0, log_power=2.0)),
        cusps=(0.0,),
        formula=(
            "sign(x) L/(L + 1), L = ln(1 + |x|);  phi' = 1/((1 + |x|)(1 + L)^2);  "
            "phi'' = -sign(x)(L + 3)/((1 + |x|)^2 (1 + L)^3)"
        ),
        reference="the essay (seed 002); not MATLAB's logsig nor torch's LogSigmoid",
        # |y| = L/(L + 1), so 1 - |y| = 1/(1 + L): relative error <= (1 + L)/2 ulp
        dphi_from_value=lambda x, y, o: (1.0 - o.abs(y)) ** 2 / (1.0 + o.abs(x)),
    )


@register("log_semisigmoid", aliases=("semisigmoid", "logarithmic_semisigmoid", "symlog"))
def log_semisigmoid() -> Definition:
    def f(x: Array, o: Ops) -> Array:
        return o.copysign(o.log1p_abs(x), x)

    def df(x: Array, o: Ops) -> Array:
        return 1.0 / (1.0 + o.abs(x))

    def d2f(x: Array, o: Ops) -> Array:
        return -o.sign(x) / (1.0 + o.abs(x)) ** 2

    return Definition(
        "log_semisigmoid", f, df, d2f,
        limits=((-float("inf"), float("inf")), (0.0, 0.0), (0.0, 0.0)),
        odd=True, monotone=True,
        tails=(Tail("power", 1.0), Tail("power", 1.0)),
        cusps=(0.0,),
        formula="sign(x) ln(1 + |x|);  phi' = 1/(1 + |x|);  phi'' = -sign(x)/(1 + |x|)^2",
        reference="the essay (seed 002), derivative sign corrected",
    )


@register("logmin")
def logmin() -> Definition:
    def f(x: Array, o: Ops) -> Array:
        return o.log1p_abs(o.relu(x))

    def df(x: Array, o: Ops) -> Array:
        return o.where(x > 0, 1.0 / (1.0 + o.relu(x)), 0.0)

    def d2f(x: Array, o: Ops) -> Array:
        return o.where(x > 0, -1.0 / (1.0 + o.relu(x)) ** 2, 0.0)

    return Definition(
        "logmin", f, df, d2f,
        limits=((0.0, float("inf")), (0.0, 0.0), (0.0, 0.0)),
        odd=False, monotone=True,
        tails=(Tail("zero"), Tail("power", 1.0)),
        kinks=(0.0,),
        formula="ln(1 + x) for x > 0 else 0;  phi' = 1/(1 + x) for x > 0 else 0",
        reference="the essay (seed 002); phi'(0) = 0 as for torch.relu",
    )
