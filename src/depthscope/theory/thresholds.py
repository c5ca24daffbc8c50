"""The Q&A's derivative-threshold analysis of ``tanh(n x)``, done for any activation.

For ``phi_n(x) = phi(n x)`` with maximal slope ``M_n = sup |phi_n'|`` (``= n`` for tanh):

* good interval: where ``|phi_n'(x)| >= 1/M_n`` (one such slope cancels a maximal one; the
  Q&A's ``t1(n) = atanh(sqrt(1 - 1/n^2))/n``, 0.658 at n = 2);
* cancel bound: where ``|phi_n'| >= M_n^-(K-1)``; outside it one slope cancels ``K - 1``
  maximal ones (Q&A: ``atanh(sqrt(1 - n^-K))/n``, 9.0 at K = 50, n = 2);
* explode interval: where ``|phi_n'| > 1`` (Q&A: ``atanh(sqrt(1 - 1/n))/n``, 0.441 at n = 2;
  that formula is right: ``n(1 - tanh^2(nx)) > 1 <=> tanh^2(nx) < 1 - 1/n``);
* best scale: the ``n`` maximising the good interval's width (integer and continuous).

Each interval is the connected component, around the point of maximal slope, of the set where
the inequality holds; an end is ``±inf`` where the slope never falls below the threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from depthscope.activations import Activation
from depthscope.errors import DepthscopeError
from depthscope.theory.maps import ActLike, as_activation

Interval = tuple[float, float]
MAX_SCALE = 20


@dataclass(frozen=True)
class QACheck:
    """One number printed in the Q&A, recomputed; ``holds`` if it matches as printed."""

    claim: str
    qa_value: float
    value: float
    holds: bool


@dataclass(frozen=True)
class BestScale:
    """The ``n`` with the widest good interval, over integers 1..20 and over real ``n``."""

    integer: int
    integer_width: float
    continuous: float
    continuous_width: float


@dataclass(frozen=True)
class Thresholds:
    """The Q&A's thresholds for ``phi(scale x)`` at depth ``K`` (see module docstring)."""

    activation: str
    scale: float
    depth: int
    max_slope: float
    argmax_slope: float
    good_interval: Interval | None
    cancel_bound: Interval | None
    explode_interval: Interval | None
    best_scale: BestScale | None
    qa_checks: tuple[QACheck, ...]


def _log_slope(act: Activation, x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return np.log(np.maximum(np.abs(act.dphi(np.asarray(x, float))), 1e-300))


def _start(act: Activation) -> float:
    """A finite point of maximal slope (softplus only reaches its sup at +inf)."""
    x = act.meta.argmax_slope
    if math.isfinite(x) and _log_slope(act, x) >= math.log(act.meta.max_slope) - 1e-12:
        return x
    grid = np.linspace(-60.0, 60.0, 24_001) / act.scale - act.shift / act.scale
    return float(grid[np.argmax(_log_slope(act, grid))])


def _edge(act: Activation, x0: float, log_t: float, side: int, strict: bool) -> float:
    """First ``x = x0 + side d`` (d > 0) where the slope leaves ``{slope >= t}``."""
    w = 1.0 / act.scale
    d = np.concatenate([np.linspace(0.0, 30.0 * w, 6001)[1:],
                        np.geomspace(30.0 * w, 1e15 * w, 600)])
    nudge = -1e-13 if strict else 1e-13  # so a plateau exactly at t (hard tanh) stays inside
    f = _log_slope(act, x0 + side * d) - log_t + nudge
    out = (f <= 0) if strict else (f < 0)
    if not np.any(out):
        return side * math.inf
    i = int(np.argmax(out))
    lo = 0.0 if i == 0 else d[i - 1]
    g = lambda s: float(_log_slope(act, x0 + side * s) - log_t + nudge)
    if g(lo) <= 0:
        return x0
    return x0 + side * brentq(g, lo, d[i], xtol=1e-15 * max(1.0, d[i]), rtol=1e-15)


def _interval(act: Activation, t: float, strict: bool = False) -> Interval | None:
    """Component around the max slope of ``{|phi'| >= t}`` (``> t`` if ``strict``)."""
    x0 = _start(act)
    log_t = math.log(t)
    top = float(_log_slope(act, x0))
    if top < log_t - 1e-12 or (strict and top <= log_t + 1e-15):
        return None
    return (_edge(act, x0, log_t, -1, strict), _edge(act, x0, log_t, +1, strict))


def _good_width(base: Activation, n: float) -> float:
    act = base.with_transform(scale=n)
    iv = _interval(act, 1.0 / act.meta.max_slope if n == 1 else 1.0 / (n * base.meta.max_slope))
    return 0.0 if iv is None else iv[1] - iv[0]


def best_scale(act: ActLike) -> BestScale | None:
    """Scale ``n`` maximising the good interval's width (cached per activation).

    None if the width is unbounded (relu) or still growing at ``n = 20`` (softsign:
    ``2(n - 1)/n``, no maximiser).
    """
    return _best_scale(as_activation(act))


@lru_cache(maxsize=64)
def _best_scale(base: Activation) -> BestScale | None:
    ints = np.arange(1, MAX_SCALE + 1)
    widths = np.array([_good_width(base, float(n)) for n in ints])
    if not np.all(np.isfinite(widths)):
        return None
    i = int(np.argmax(widths))
    if i == ints.size - 1:
        return None
    lo, hi = max(1.0, ints[i] - 1.0), ints[i] + 1.0
    res = minimize_scalar(lambda n: -_good_width(base, n), bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-10})
    if -res.fun <= widths[i]:  # the optimum is the integer itself (hard tanh: n = 1)
        return BestScale(int(ints[i]), float(widths[i]), float(ints[i]), float(widths[i]))
    return BestScale(int(ints[i]), float(widths[i]), float(res.x), float(-res.fun))


def _qa_checks(n: float, depth: int, good: Interval | None, cancel: Interval | None,
               explode: Interval | None, best: BestScale | None) -> tuple[QACheck, ...]:
    """The Q&A's printed numbers (for tanh) and its closed forms at this ``n``."""
    checks = []

    def add(claim: str, qa: float, value: float | None, digits: int | None) -> None:
        if value is None:
            return
        ok = round(value, digits) == qa if digits is not None else abs(value - qa) < 1e-9
        checks.append(QACheck(claim, qa, value, bool(ok)))

    hi = lambda iv: None if iv is None else iv[1]

    def qa_formula(eps: float) -> float:
        """``atanh(sqrt(1 - eps))/n`` without cancellation: ``(ln(1 + s) - ln(eps)/2)/n``."""
        return (math.log1p(math.sqrt(1 - eps)) - 0.5 * math.log(eps)) / n

    if n > 1:
        add("t1(n) = atanh(sqrt(1 - 1/n^2))/n", qa_formula(n**-2), hi(good), None)
        add("cancel bound atanh(sqrt(1 - n^-K))/n", qa_formula(n**-depth), hi(cancel), None)
        add("explode bound atanh(sqrt(1 - 1/n))/n", qa_formula(1 / n), hi(explode), None)
    if n == 2:
        add("good interval [-0.658, 0.658] at n = 2", 0.658, hi(good), 3)
        add("explode interval [-0.441, 0.441] at n = 2", 0.441, hi(explode), 3)
        if depth == 50:
            add("cancel bound [-9.0, 9.0] at K = 50, n = 2", 9.0, hi(cancel), 1)
    if best is not None:
        add("n = 2 gives the largest good interval (integer n)", 2.0, float(best.integer), 0)
        checks.append(QACheck("continuous n gives a slightly larger interval",
                              best.integer_width, best.continuous_width,
                              best.continuous_width > best.integer_width))
    return tuple(checks)


def thresholds(act: ActLike, scale: float = 2.0, depth: int = 50) -> Thresholds:
    """The Q&A's analysis of ``phi(scale x)`` at depth ``K = depth``.

    With ``m = max phi'`` (the maximal slope of ``phi(scale x)``): the *good interval* is
    where ``phi' >= 1/m`` (a product of ``K`` slopes can neither vanish nor explode there
    for good), the *cancel bound* where ``phi' >= m^-(K-1)`` (one maximal slope can still
    cancel ``K - 1`` small ones), and the *explode interval* where ``phi' > 1``. For tanh,
    ``t1(n) = atanh(sqrt(1 - 1/n^2)) / n`` and the Q&A's numbers are checked
    (``qa_checks``).

    Args:
        act: an activation (name or :class:`~depthscope.activations.Activation`).
        scale: the ``n`` of ``phi(n x)`` (> 0).
        depth: the number of factors ``K`` (>= 2).

    Returns:
        :class:`Thresholds`: the three intervals, the maximal slope and where, the best
        integer and continuous ``n`` (widest good interval) and, for tanh, the Q&A checks.

    Example:
        >>> from depthscope import thresholds
        >>> t = thresholds("tanh", scale=2, depth=50)
        >>> [round(v, 4) for v in t.good_interval], t.best_scale.integer
        ([-0.6585, 0.6585], 2)
        >>> all(check.holds for check in t.qa_checks)
        True

    References:
        The seed Q&A, "why not use tanh(n x) to avoid vanishing gradients?".
    """
    base = as_activation(act)
    if not (math.isfinite(scale) and scale > 0):
        raise DepthscopeError(f"scale must be a finite number > 0, got {scale!r}")
    if int(depth) != depth or depth < 2:
        raise DepthscopeError(f"depth must be an integer >= 2, got {depth!r}")
    a = base.with_transform(scale=scale)
    m = a.meta.max_slope
    if not m > 0:
        raise DepthscopeError(f"{a.label} has zero slope everywhere; nothing to analyse")
    good = _interval(a, 1.0 / m)
    cancel = _interval(a, m ** -(depth - 1)) if m > 1 else None
    explode = _interval(a, 1.0, strict=True)
    best = best_scale(base)
    is_tanh = base.name == "tanh" and (base.shift, base.gain, base.offset) == (0.0, 1.0, 0.0)
    n = scale * base.scale
    checks = _qa_checks(n, int(depth), good, cancel, explode, best) if is_tanh else ()
    return Thresholds(a.label, float(scale), int(depth), m, a.meta.argmax_slope, good, cancel,
                      explode, best, checks)
