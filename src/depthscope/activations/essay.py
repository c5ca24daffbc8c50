"""The essay's derivatives as printed (seed 002), each next to the correct one.

The essay ("Exploding and Vanishing Gradients and How to Fix Them") lists six activations
with their derivatives. Transcribed literally and checked against ``act.dphi``:

========================  ==========================================  =====================
function                  printed derivative                          verdict
========================  ==========================================  =====================
softsign                  ``1/(|x|+1)2``  -> ``1/(|x|+1)^2``          right
logsig                    ``1/(|x|+1)(ln(|x|+1)+1)2)``                right (one denominator)
ramp                      ``0 if x < 0, 1 otherwise``                 right (phi'(0)=1, ours 0)
softplus                  ``exp(x) / exp(x + 1)``                     wrong: the constant 1/e
logmin                    ``1/(x + 1) if x > 0, 0 otherwise``         right
logarithmic semisigmoid   ``1/(x+1) x > 0, -1/(|x|+1) otherwise``     wrong sign for x <= 0
========================  ==========================================  =====================

The essay's "use the ramp derivative for efficiency if |x| > ~4" is
``get("softplus", ramp_beyond=t)``: ``phi'`` is replaced by 0 / 1 beyond ``|x| > t`` while
``phi`` stays exact, so the gradient error is ``sigmoid(-|x|) <= sigmoid(-t)`` (0.018 at
``t = 4``), see :func:`ramp_beyond_error_bound`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from depthscope.activations.base import Activation
from depthscope.activations.registry import get

NumpyFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class PrintedDerivative:
    """One derivative as the essay prints it, and whether it is right."""

    name: str  # registry name of the function it belongs to
    essay_name: str
    printed: str  # verbatim from the essay
    formula: NumpyFn  # the printed formula, read literally
    correct: bool
    note: str

    @property
    def activation(self) -> Activation:
        return get(self.name)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.formula(np.asarray(x, dtype=np.float64))

    def ours(self, x: np.ndarray) -> np.ndarray:
        """Our closed-form ``phi'`` (``act.dphi``) at the same points."""
        return self.activation.dphi(np.asarray(x, dtype=np.float64))

    def max_error(self, x: np.ndarray) -> float:
        """``max |printed - ours|`` over ``x``."""
        return float(np.max(np.abs(self(x) - self.ours(x))))


def _where(cond: np.ndarray, a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    return np.where(cond, a, b).astype(np.float64)


PRINTED: dict[str, PrintedDerivative] = {
    d.name: d
    for d in (
        PrintedDerivative(
            "softsign", "softsign", "1/(|x|+1)2",
            lambda x: 1.0 / (np.abs(x) + 1.0) ** 2,
            True, "the trailing 2 is a lost superscript: 1/(1+|x|)^2",
        ),
        PrintedDerivative(
            "logsig", "logsig", "1/(|x|+1)(ln(|x|+1)+1)2)",
            lambda x: 1.0 / ((np.abs(x) + 1.0) * (np.log1p(np.abs(x)) + 1.0) ** 2),
            True, "right when the whole product is the denominator (parentheses unbalanced)",
        ),
        PrintedDerivative(
            "relu", "ramp", "0 if x < 0, 1 otherwise",
            lambda x: _where(x < 0, 0.0, 1.0),
            True, "right; it takes phi'(0) = 1 where torch.relu and we take 0 (both subgradients)",
        ),
        PrintedDerivative(
            "softplus", "softplus", "exp(x) / exp(x + 1)",
            lambda x: np.exp(x) / np.exp(x + 1.0),
            False, "exp(x)/exp(x+1) is the constant 1/e; the derivative is "
            "exp(x)/(1 + exp(x)) = sigmoid(x)",
        ),
        PrintedDerivative(
            "logmin", "logmin", "1/(x + 1) if x > 0, 0 otherwise",
            lambda x: _where(x > 0, 1.0 / (np.maximum(x, 0.0) + 1.0), 0.0),
            True, "right",
        ),
        PrintedDerivative(
            "log_semisigmoid", "logarithmic semisigmoid",
            "1/(x+1) when x > 0, -1/(|x|+1) otherwise",
            lambda x: _where(x > 0, 1.0 / (np.abs(x) + 1.0), -1.0 / (np.abs(x) + 1.0)),
            False, "wrong sign for x <= 0: the function increases, phi' = 1/(1+|x|) > 0",
        ),
    )
}


def printed_derivative(name: str | Activation) -> PrintedDerivative | None:
    """The essay's printed derivative for this activation, or ``None`` if it prints none."""
    act = get(name)
    return PRINTED.get(act.name) if act.is_affine_default and not act.params else None


def ramp_beyond_error_bound(t: float) -> float:
    """``sup_x |phi'_t(x) - sigmoid(x)| = sigmoid(-t)`` for ``get("softplus", ramp_beyond=t)``.

    Beyond ``x > t`` the ramp derivative 1 differs from ``sigmoid(x)`` by ``sigmoid(-x)``;
    below ``x < -t``, 0 differs by ``sigmoid(x) = sigmoid(-|x|)``; both are largest at
    ``|x| -> t``.
    """
    return float(expit(-t))
