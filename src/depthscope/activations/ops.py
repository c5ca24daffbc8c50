"""Array-namespace shims so each activation formula is written once for torch and NumPy.

A formula is a plain function ``f(x, o)`` where ``o`` is :data:`TORCH` or :data:`NUMPY`;
it may only use the operations listed here, which behave identically in both namespaces.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special
import torch

Array = Any  # torch.Tensor or numpy.ndarray (float); formulas are generic over both.

SQRT_2PI = math.sqrt(2.0 * math.pi)
SQRT_PI = math.sqrt(math.pi)


class _Composites:
    """Operations composed of the primitives, written once for both namespaces (the compiled
    kernels' namespace replaces them with cheaper float32 forms)."""

    # Whether Activation masks a formula's value at u = -inf and +inf with its limits, and at
    # nan with nan. Always here; a compiled kernel drops the masks its formula provably does
    # not need (fastmath.KernelOps.masking).
    limit_masks: tuple[bool, bool, bool] = (True, True, True)

    @classmethod
    def exp_neg(cls, a: Array) -> Array:
        """``e^{-a}`` for ``a >= 0`` (every exponential of the formulas: the compiled kernels
        skip the overflow branch)."""
        return cls.exp(-a)  # type: ignore[attr-defined]

    @classmethod
    def ndtr(cls, x: Array) -> Array:
        """The normal CDF ``Phi(x) = erfc(-x/sqrt 2)/2``, accurate in the lower tail (where
        ``(1 + erf(x/sqrt 2))/2`` cancels, as ``torch.special.ndtr`` does)."""
        return 0.5 * cls.erfc(x * -math.sqrt(0.5))  # type: ignore[attr-defined]

    @classmethod
    def log1p_abs(cls, x: Array) -> Array:
        """``ln(1 + |x|)`` (the logarithmic activations)."""
        return cls.log1p(cls.abs(x))  # type: ignore[attr-defined]

    @classmethod
    def log1p_exp(cls, x: Array) -> Array:
        """``ln(1 + e^x)`` for ``x <= 0`` (softplus's tail; no overflow)."""
        return cls.log1p(cls.exp(x))  # type: ignore[attr-defined]


#: Every primitive a formula may use, once: ``name: (torch, NumPy)``, with identical semantics
#: (``where(cond, a, b)``, ``clip(x, lo, hi)``, ``to_float(mask, like)``: the mask as ``like``'s
#: float type). :class:`TorchOps` and :class:`NumpyOps` take their columns.
PRIMITIVES: dict[str, tuple[Any, Any]] = {
    "abs": (torch.abs, np.abs),
    "sign": (torch.sign, np.sign),
    "copysign": (torch.copysign, np.copysign),
    "exp": (torch.exp, np.exp),
    "expm1": (torch.expm1, np.expm1),
    "log1p": (torch.log1p, np.log1p),
    "tanh": (torch.tanh, np.tanh),
    "arctan": (torch.atan, np.arctan),
    "sigmoid": (torch.sigmoid, scipy.special.expit),
    "erf": (torch.special.erf, scipy.special.erf),
    "erfc": (torch.special.erfc, scipy.special.erfc),
    "isinf": (torch.isinf, np.isinf),
    "where": (torch.where, np.where),
    "relu": (torch.relu, lambda x: np.maximum(x, 0.0)),
    "clip": (torch.clamp, np.clip),
    "zeros_like": (torch.zeros_like, np.zeros_like),
    "ones_like": (torch.ones_like, np.ones_like),
    "to_float": (lambda mask, like: mask.to(like.dtype),
                 lambda mask, like: mask.astype(like.dtype)),
}


class TorchOps(_Composites):
    """The operations formulas may use, backed by torch (autograd- and compile-friendly):
    the first column of :data:`PRIMITIVES`."""

    name = "torch"


class NumpyOps(_Composites):
    """The same operations backed by NumPy/SciPy (float64 theory and plotting): the second
    column of :data:`PRIMITIVES`."""

    name = "numpy"


for _key, (_torch_op, _numpy_op) in PRIMITIVES.items():
    setattr(TorchOps, _key, staticmethod(_torch_op))
    setattr(NumpyOps, _key, staticmethod(_numpy_op))
del _key, _torch_op, _numpy_op

Ops = type[TorchOps] | type[NumpyOps]
TORCH: type[TorchOps] = TorchOps
NUMPY: type[NumpyOps] = NumpyOps


def ops_for(x: Array) -> Ops:
    """The namespace that matches ``x``: torch for tensors, NumPy for everything else."""
    return TORCH if isinstance(x, torch.Tensor) else NUMPY
