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


class TorchOps(_Composites):
    """The operations formulas may use, backed by torch (autograd- and compile-friendly)."""

    name = "torch"
    abs = staticmethod(torch.abs)
    sign = staticmethod(torch.sign)
    copysign = staticmethod(torch.copysign)
    exp = staticmethod(torch.exp)
    expm1 = staticmethod(torch.expm1)
    log1p = staticmethod(torch.log1p)
    tanh = staticmethod(torch.tanh)
    arctan = staticmethod(torch.atan)
    sigmoid = staticmethod(torch.sigmoid)
    erf = staticmethod(torch.special.erf)
    erfc = staticmethod(torch.special.erfc)
    isinf = staticmethod(torch.isinf)

    @staticmethod
    def where(cond: Array, a: Array | float, b: Array | float) -> Array:
        return torch.where(cond, a, b)

    @staticmethod
    def relu(x: Array) -> Array:
        return torch.relu(x)

    @staticmethod
    def clip(x: Array, lo: float, hi: float) -> Array:
        return torch.clamp(x, lo, hi)

    @staticmethod
    def zeros_like(x: Array) -> Array:
        return torch.zeros_like(x)

    @staticmethod
    def ones_like(x: Array) -> Array:
        return torch.ones_like(x)

    @staticmethod
    def to_float(mask: Array, like: Array) -> Array:
        return mask.to(like.dtype)


class NumpyOps(_Composites):
    """The same operations backed by NumPy/SciPy (float64 theory and plotting)."""

    name = "numpy"
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    copysign = staticmethod(np.copysign)
    exp = staticmethod(np.exp)
    expm1 = staticmethod(np.expm1)
    log1p = staticmethod(np.log1p)
    tanh = staticmethod(np.tanh)
    arctan = staticmethod(np.arctan)
    sigmoid = staticmethod(scipy.special.expit)
    erf = staticmethod(scipy.special.erf)
    erfc = staticmethod(scipy.special.erfc)
    isinf = staticmethod(np.isinf)

    @staticmethod
    def where(cond: Array, a: Array | float, b: Array | float) -> Array:
        return np.where(cond, a, b)

    @staticmethod
    def relu(x: Array) -> Array:
        return np.maximum(x, 0.0)

    @staticmethod
    def clip(x: Array, lo: float, hi: float) -> Array:
        return np.clip(x, lo, hi)

    @staticmethod
    def zeros_like(x: Array) -> Array:
        return np.zeros_like(x)

    @staticmethod
    def ones_like(x: Array) -> Array:
        return np.ones_like(x)

    @staticmethod
    def to_float(mask: Array, like: Array) -> Array:
        return mask.astype(like.dtype)


Ops = type[TorchOps] | type[NumpyOps]
TORCH: type[TorchOps] = TorchOps
NUMPY: type[NumpyOps] = NumpyOps


def ops_for(x: Array) -> Ops:
    """The namespace that matches ``x``: torch for tensors, NumPy for everything else."""
    return TORCH if isinstance(x, torch.Tensor) else NUMPY
