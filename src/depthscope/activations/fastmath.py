"""Math for the compiled kernels: accurate where Inductor is not, cheap where it is slow.

Formulas see this namespace (``o``) when they are traced into a fused kernel
(:mod:`depthscope.activations.kernels`); eager torch and NumPy use ``ops.TORCH``/``ops.NUMPY``.
These operations differ from plain torch (errors measured against float64 over
``±[1e-30, 100]``, in float32 ulp):

- ``exp`` and ``exp_neg`` (``e^{-a}``, ``a >= 0``: every exponential of the formulas) in
  float32: inline instead of Sleef's out-of-line ``expf``, whose call makes the compiler spill
  every live vector of the kernel (two exps in one kernel, measured once: 0.98 -> 0.63-0.72 ns
  per value). Cody-Waite reduction ``x = n ln2 + r``, ``|r| <= ln2/2``, ``e^r`` by a degree-6
  fit (relative error 1.9e-9), ``2^n`` built in the exponent bits; < 1.5 ulp. ``exp`` scales
  by ``2^h 2^(n-h)`` so that overflow and subnormal results are exact; ``exp_neg`` flushes
  results below ``2^-126`` (``a > 87.3``) to 0, as flush-to-zero hardware modes do, for one
  scaling and one clamp less.

- ``expm1``: Inductor's vectorised CPU code computes ``expm1(x)`` as ``exp(x) - 1``
  (``torch/_inductor/codegen/cpp.py``), which loses all accuracy near 0 (tanh(1e-7) came out
  10 % wrong). In float32: Cody-Waite reduction ``x = n ln2 + r``, ``|r| <= ln2/2``, then
  ``expm1 x = 2^n expm1(r) + (2^n - 1)`` with ``expm1(r)`` by its Taylor series to degree 8
  (truncation ``< 2^-30``), the same work as ``exp``. Other dtypes: the Taylor series to degree
  17 for ``|x| < 1/2`` (truncation ``< 2^-64``), else ``exp(x) - 1`` (cancels by at most
  ``e^{1/2}/(e^{1/2} - 1) < 2.6x``).
- ``tanh`` in float32: the rational minimax approximation of Eigen (``ptanh_float``, degree
  13/6 on ``|x| <= 7.9053``), < 4 ulp, no ``exp``; exactly ``±1`` beyond ``13 ln 2``, where
  float32 ``tanh`` rounds to ``±1`` (so ``1 - tanh^2`` is 0 there, as eager).
  Other dtypes: ``-m/(2 + m)``, ``m = expm1(-2|x|)`` with the sign of ``x``.
- ``erf`` in float32: Eigen's rational approximation (``generic_fast_erf_float``, degree
  13/8 on ``|x| <= 4``, where float32 ``erf`` rounds to ``±1``), < 3 ulp, half the time of
  Sleef's out-of-line ``erff``. Other dtypes use ``torch.erf``.
- ``ndtr`` (the normal CDF ``Phi``) in float32: for ``x <= 0``, ``Phi(x) = erfc(z)/2 =
  t S(t) e^{-x^2/2}``, ``z = |x|/sqrt 2``, ``t = 1/(1 + 0.4 z)`` in ``(0, 1]``, with ``S`` the
  degree-10 least-squares Chebyshev fit of ``erfcx(z)/(2t)`` (relative error 6.7e-9); ``1 -
  Phi(-x)`` for ``x > 0``. ``S`` and the ``exp`` are independent, so their latencies overlap;
  no library ``erfc``. The float32 rounding of ``x^2/2`` costs up to ``x^2/2`` ulp in the far
  tail (``Phi(-5)``: 12 ulp; ``Phi(-13)``: 85 ulp).
- ``log1p_abs`` (``ln(1 + |x|)``) in float32: musl's ``log1pf`` (FreeBSD, Sun 1993):
  ``u = 1 + |x| = 2^k m``, ``m`` in ``[sqrt(2)/2, sqrt(2))``, ``ln m`` by a degree-4 fit in
  ``s^2`` (``s = f/(2 + f)``, ``f = m - 1``), plus ``k ln 2`` and the rounding correction
  ``(|x| - (u - 1))/u``; < 1 ulp, at 60 % of the cost of the vectorised library ``log1p``
  (no special cases: ``u >= 1``, and ``±inf`` gives nan, which :class:`Definition` limits
  replace).
- ``log1p_exp`` (``ln(1 + e^x)``, ``x <= 0``) in float32: ``e = e^x`` and
  ``ln(1 + e) = 2 atanh(s) = 2s + s R(s^2)``, ``s = e/(2 + e) <= 1/3``, with the Taylor series
  ``R(z) = sum_{k=1}^{6} 2 z^k/(2k + 1)`` (truncation ``< 2^-26`` relative): a division and
  seven FMAs instead of the library ``log1p``, a third of softplus's forward.
- ``arctan`` in float32: Cephes ``atanf`` (Moshier 1989): reduction to ``|t| <= tan(pi/8)``
  by ``atan x = pi/2 + atan(-1/x)`` (``x > tan(3pi/8)``) or ``pi/4 + atan((x-1)/(x+1))``,
  then a degree-9 odd polynomial; measured error < 2 ulp, half the time of the vectorised
  library ``atan``. Other dtypes use ``torch.atan``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import torch

from depthscope.activations.ops import Array, TorchOps

_TAN_PI_8 = math.sqrt(2.0) - 1.0
_TAN_3PI_8 = math.sqrt(2.0) + 1.0
_ATANF = (8.05374449538e-2, -1.38776856032e-1, 1.99777106478e-1, -3.33329491539e-1)
_TANHF_CLAMP = 7.90531110763549805
#: float32 tanh x rounds to 1 beyond 13 ln 2: 1 - tanh x ~ 2 e^(-2x) < 2^-25, half an ulp below 1
_TANHF_ONE = 13 * math.log(2.0)
_TANHF_P = (-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
            5.12229709037114e-08, 1.48572235717979e-05, 6.37261928875436e-04,
            4.89352455891786e-03)
_TANHF_Q = (1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03,
            4.89352518554385e-03)
_ERFF_CLAMP = 4.0
_ERFF_P = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
           -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
           -1.60960333262415e-02)
_ERFF_Q = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
           -7.37332916720468e-03, -1.42647390514189e-02)
_NDTR_T = 0.4 * math.sqrt(0.5)  # t = 1/(1 + 0.4 |x|/sqrt 2)
_NDTR_S = tuple(0.5 * c for c in (  # the fit of erfcx(z)/t, halved
    -2.950629384e-02, 1.419261352e-01, -2.387352486e-01, 1.414346590e-01, -4.974379624e-02,
    8.522811290e-02, 1.186341050e-01, 1.718023540e-01, 2.076080523e-01, 2.256760809e-01,
    2.256758327e-01))
_LN2_HI, _LN2_LO = 0.693359375, -2.12194440e-4  # Cody-Waite split of ln 2 (Cephes)
_EXPF_MAX = 88.0  # beyond, 2^n overflows float32
_EXPF_MIN = -104.0  # e^x < 2^-150: rounds to 0
_EXPF_FTZ = -88.0  # n = -127: 2^n = 0 (subnormal results flushed)
# e^r on |r| <= ln2/2, degree 6 (Chebyshev-weighted fit, relative error 1.9e-9)
_EXP_POLY = (1.382942441e-03, 8.374774508e-03, 4.166835815e-02, 1.666642080e-01,
             4.999999149e-01, 1.000000036e+00, 1.000000001e+00)
_LOG1PF_LG = (0.24279078841, 0.28498786688, 0.40000972152, 0.66666662693)  # Lg4..Lg1 (musl)
_LOG1PF_LN2_HI, _LOG1PF_LN2_LO = 6.9313812256e-01, 9.0580006145e-06
_SQRT_HALF_BITS = 0x3F3504F3  # float32 bits of sqrt(2)/2
_ATANH_R = tuple(2.0 / (2 * k + 1) for k in range(6, 0, -1))  # 2 atanh(s) = 2s + s R(s^2)

def polynomial(x: Array, coefficients: Sequence[float]) -> Array:
    """``c0 x^n + c1 x^(n-1) + ... + cn`` (coefficients from the highest power down) by
    Estrin's scheme: ``ceil(log2(n + 1))`` dependent multiply-adds instead of Horner's ``n``.
    A fused kernel handles one 8-lane vector per loop iteration and is latency-bound, so the
    shorter chain is the faster one (ndtr's degree 10: 4 steps instead of 10)."""
    terms: list[Array] = list(reversed(coefficients))  # terms[k] multiplies x^k
    power = x
    while len(terms) > 1:
        terms = [terms[k] + terms[k + 1] * power if k + 1 < len(terms) else terms[k]
                 for k in range(0, len(terms), 2)]
        if len(terms) > 1:
            power = power * power
    return terms[0]


def _taylor_expm1(x: Array, degree: int) -> Array:
    """``sum_{k=1}^{degree} x^k / k!``."""
    return x * polynomial(x, [1.0 / math.factorial(k + 1) for k in reversed(range(degree))])


def _reduce_ln2(c: Array) -> tuple[Array, Array]:
    """``(n, r)`` with ``c = n ln2 + r``, ``n`` integral (int32), ``|r| <= ln2/2``
    (Cody-Waite: ``n ln2_hi`` is exact for ``|n| < 2^15``)."""
    n = torch.round(c * (1.0 / math.log(2.0)))
    return n.to(torch.int32), c - n * _LN2_HI - n * _LN2_LO


def _pow2(n: Array) -> Array:
    """``2^n`` for int32 ``n`` in ``[-127, 128]`` (``-127`` gives 0, ``128`` gives inf)."""
    return ((n + 127) << 23).view(torch.float32)


def _exp_clamped(c: Array) -> Array:
    """``e^c`` for ``c`` in ``[-104, 89]`` (or nan): ``2^n p(r)``, applied as ``2^h 2^(n - h)``
    so subnormal results are exact and only the last product overflows."""
    n, r = _reduce_ln2(c)
    half = n >> 1
    return polynomial(r, _EXP_POLY) * _pow2(half) * _pow2(n - half)


def _expf(x: Array) -> Array:
    return _exp_clamped(x.clamp(_EXPF_MIN, _EXPF_MAX + 1.0))  # beyond: 0 and inf


def _exp_nonpositivef(x: Array) -> Array:
    """``e^x`` for ``x <= 88``, with results below ``2^-126`` flushed to 0: one scaling ``2^n``
    (``n >= -127``, and ``2^-127`` is 0) and no upper clamp."""
    n, r = _reduce_ln2(torch.clamp(x, min=_EXPF_FTZ))
    return polynomial(r, _EXP_POLY) * _pow2(n)


def _expm1f(x: Array) -> Array:
    n, r = _reduce_ln2(x.clamp(-_EXPF_MAX, _EXPF_MAX))
    two_n = _pow2(n)
    return torch.where(x > _EXPF_MAX, math.inf, two_n * _taylor_expm1(r, 8) + (two_n - 1.0))


def _odd_rational(x: Array, clamp: float, p: Sequence[float], q: Sequence[float]) -> Array:
    """``c P(c^2) / Q(c^2)``, ``c = clip(x, -clamp, clamp)`` (Eigen's tanh and erf forms)."""
    c = x.clamp(-clamp, clamp)
    z = c * c
    return c * polynomial(z, p) / polynomial(z, q)


def _tanhf(x: Array) -> Array:
    # exactly ±1 where float32 tanh rounds to it, as torch's does (Eigen's clamped rational
    # stays 3 ulp below 1 there, and 1 - tanh^2 would read 7e-7 for 0)
    r = _odd_rational(x, _TANHF_CLAMP, _TANHF_P, _TANHF_Q)
    return torch.where(x.abs() > _TANHF_ONE, torch.copysign(torch.ones_like(x), x), r)


def _erff(x: Array) -> Array:
    return _odd_rational(x, _ERFF_CLAMP, _ERFF_P, _ERFF_Q)


def _ndtrf(x: Array) -> Array:
    t = 1.0 / (1.0 + _NDTR_T * x.abs())
    tail = t * polynomial(t, _NDTR_S) * _exp_nonpositivef(-0.5 * x * x)  # Phi(-|x|)
    return torch.where(x < 0, tail, 1.0 - tail)


def _log1p_absf(x: Array) -> Array:
    a = x.abs()
    u = 1.0 + a
    bits = u.view(torch.int32) + (0x3F800000 - _SQRT_HALF_BITS)
    k = ((bits >> 23) - 127).to(torch.float32)
    f = ((bits & 0x007FFFFF) + _SQRT_HALF_BITS).view(torch.float32) - 1.0  # m - 1
    c = torch.where(k >= 2, 1.0 - (u - a), a - (u - 1.0)) / u  # ln(1 + a) - ln(u)
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    lg4, lg3, lg2, lg1 = _LOG1PF_LG
    r = z * (lg1 + w * lg3) + w * (lg2 + w * lg4)
    hfsq = 0.5 * f * f
    return s * (hfsq + r) + (k * _LOG1PF_LN2_LO + c) - hfsq + f + k * _LOG1PF_LN2_HI


def _log1p_expf(x: Array) -> Array:
    e = _exp_nonpositivef(x)
    s = e / (2.0 + e)
    z = s * s
    return 2.0 * s + s * (z * polynomial(z, _ATANH_R))


def _atanf(x: Array) -> Array:
    a = x.abs()
    big, mid = a > _TAN_3PI_8, a > _TAN_PI_8
    t = torch.where(big, -1.0, torch.where(mid, a - 1.0, a)) / torch.where(
        big, a, torch.where(mid, a + 1.0, 1.0)
    )
    z = t * t
    y = polynomial(z, _ATANF) * z * t + t
    return torch.copysign(torch.where(big, math.pi / 2, torch.where(mid, math.pi / 4, 0.0)) + y, x)


def _expm1_wide(x: Array) -> Array:
    return torch.where(x.abs() < 0.5, _taylor_expm1(x, 17), torch.exp(x) - 1.0)


def _tanh_wide(x: Array) -> Array:
    m = _expm1_wide(-2.0 * x.abs())
    return torch.sign(x) * (-m / (2.0 + m))


class KernelOps(TorchOps):
    """:class:`~depthscope.activations.ops.TorchOps` with an accurate ``expm1`` and fast
    float32 ``exp``, ``exp_neg``, ``sigmoid``, ``tanh``, ``erf``, ``ndtr``, ``log1p_abs``,
    ``log1p_exp`` and ``arctan`` (:data:`FLOAT32_FORMS`), for formulas traced into compiled
    kernels."""

    name = "kernel"

    @classmethod
    @functools.cache
    def masking(cls, masks: tuple[bool, bool, bool]) -> type[KernelOps]:
        """This namespace with the masks at ``u = -inf, +inf, nan`` on or off (``kernels``)."""
        if masks == cls.limit_masks:
            return cls
        return type(cls.__name__, (cls,), {"limit_masks": masks})


#: per op: the float32 form above, and the form for every other dtype (KernelOps's methods)
FLOAT32_FORMS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "exp": (_expf, torch.exp),
    "exp_neg": (lambda a: _exp_nonpositivef(-a), TorchOps.exp_neg),
    "sigmoid": (lambda x: 1.0 / (1.0 + _expf(-x)), torch.sigmoid),
    "expm1": (_expm1f, _expm1_wide),
    "tanh": (_tanhf, _tanh_wide),
    "erf": (_erff, torch.special.erf),
    "ndtr": (_ndtrf, TorchOps.ndtr),
    "log1p_abs": (_log1p_absf, TorchOps.log1p_abs),
    "log1p_exp": (_log1p_expf, TorchOps.log1p_exp),
    "arctan": (_atanf, torch.atan),
}


def _float32_dispatch(name: str, fast: Callable[[Array], Array],
                      other: Callable[[Array], Array]) -> staticmethod:
    """``fast(x)`` for float32 ``x``, else ``other(x)``, as a function with its own code
    object named ``name`` (torch.compile caches per code object: ops sharing one would
    recompile each other's guards)."""

    def op(x: Array) -> Array:
        return fast(x) if x.dtype == torch.float32 else other(x)

    op.__code__ = op.__code__.replace(co_name=name, co_qualname=f"KernelOps.{name}")
    op.__name__ = op.__qualname__ = name
    return staticmethod(op)


for _name, (_fast, _other) in FLOAT32_FORMS.items():
    setattr(KernelOps, _name, _float32_dispatch(_name, _fast, _other))
del _name, _fast, _other

KERNEL: type[KernelOps] = KernelOps
