"""Mish, written as a user would register a new activation (used by the extension tests)."""

from __future__ import annotations

from depthscope.activations.base import Definition, Tail
from depthscope.activations.registry import register


def register_mish(*, wrong_curvature: bool = False) -> None:
    """Mish (Misra 2019): phi = x tanh(softplus x); with t = tanh(softplus x), s = sigmoid x:
    phi' = t + x s (1 - t^2), phi'' = s (1 - t^2) (2 + x (1 - s - 2 t s)).

    ``wrong_curvature`` drops the factor 2 of phi'' (a mistake the shared tests must catch)."""
    two = 1.0 if wrong_curvature else 2.0

    @register("mish")
    def mish() -> Definition:
        def parts(x, o):  # softplus x = relu x + ln(1 + e^-|x|) (log1p_exp wants x <= 0)
            return o.tanh(o.relu(x) + o.log1p_exp(-o.abs(x))), o.sigmoid(x)

        def phi(x, o):
            return x * parts(x, o)[0]

        def dphi(x, o):
            t, s = parts(x, o)
            return t + x * s * (1.0 - t * t)

        def d2phi(x, o):
            t, s = parts(x, o)
            return s * (1.0 - t * t) * (two + x * (1.0 - s - 2.0 * t * s))

        return Definition("mish", phi, dphi, d2phi,
                          limits=((0.0, float("inf")), (0.0, 1.0), (0.0, 0.0)),
                          odd=False, monotone=False,
                          tails=(Tail("exponential", 1.0), Tail("constant")),
                          formula="x tanh(softplus x)", reference="Misra 2019")


def register_wrong_mish() -> None:
    """Mish with a wrong second derivative."""
    register_mish(wrong_curvature=True)
