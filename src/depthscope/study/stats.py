"""Statistics the claims share: bootstrap intervals and decisions against a stated threshold.

Percentile bootstrap (Efron & Tibshirani 1993, ch. 13): resample the independent units (seeds,
runs, timing rounds) with replacement ``B`` times, recompute the statistic, and take the
2.5 % and 97.5 % quantiles of the ``B`` values as the 95 % interval. The resampling is done by
:func:`scipy.stats.bootstrap` over unit indices, with a fixed seed, so a rerun prints the same
interval and the user's RNG is never touched.

A verdict is drawn only when the interval lies on one side of the claim's threshold
(:func:`side`); an interval that straddles it makes the verdict ``inconclusive``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

RESAMPLES = 2000  # bootstrap resamples: Monte Carlo error of a 95 % bound ~ 0.5 % of coverage
LEVEL = 0.95
BOOT_SEED = 20260101  # the bootstrap's own generator: fixed, independent of the user's RNG


@dataclass(frozen=True)
class Interval:
    """A point estimate with its ``level`` bootstrap confidence interval ``[low, high]``."""

    estimate: float
    low: float
    high: float
    level: float = LEVEL

    def text(self, digits: int = 3) -> str:
        """``"4 [95 % CI 2–8]"`` with ``digits`` significant digits (:func:`number_text`),
        more (up to :data:`MAX_DIGITS`) where fewer would put the printed estimate outside
        the printed interval."""
        for d in range(digits, MAX_DIGITS + 1):
            est, low, high = (number_text(v, d) for v in (self.estimate, self.low, self.high))
            if _same_side(self.low, self.estimate, low, est) and \
                    _same_side(self.estimate, self.high, est, high):
                break
        return f"{est} [{round(100 * self.level)} % CI {low}–{high}]"

    def to_json(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high,
                "level": self.level}


MAX_DIGITS = 6  # the most significant digits a number is printed with


def number_text(v: float, digits: int = 3) -> str:
    """``v`` with ``digits`` significant digits, more (up to :data:`MAX_DIGITS`) where fewer
    would print a non-integer as an integer ("1" for 0.9998); one that still looks like an
    integer is printed as that integer and its deviation ("1 − 2.0e-14"). Integers print as
    integers, ``nan`` and ``±∞`` as such."""
    v = float(v)
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else ("∞" if v > 0 else "−∞")
    if v.is_integer() and abs(v) < 1e6:
        return str(int(v))
    for d in range(digits, MAX_DIGITS + 1):
        text = f"{v:.{d}g}"
        if not float(text).is_integer():
            return text
    whole = round(v)
    return f"{whole} {'+' if v > whole else '−'} {abs(v - whole):.1e}"


def _same_side(a: float, b: float, a_text: str, b_text: str) -> bool:
    """The printed ``a_text ≤ b_text`` when ``a ≤ b``, and ``a_text > b_text`` when ``a > b``
    (an estimate outside its interval is printed outside it)."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return True
    return (_value(a_text) <= _value(b_text)) == (a <= b)


def _value(text: str) -> float:
    if " " in text:  # "1 − 2.0e-14"
        whole, sign, dev = text.split(" ")
        return float(whole) + (1 if sign == "+" else -1) * float(dev)
    return {"∞": math.inf, "−∞": -math.inf}.get(text, float(text) if text != "nan" else
                                                  math.nan)


def distribution(sizes: Sequence[int], statistic: Callable[..., float | Sequence[float]], *,
                 resamples: int = RESAMPLES, seed: int = BOOT_SEED) -> np.ndarray:
    """Bootstrap values of ``statistic(idx_1, ..., idx_k)``: ``(resamples,)``, or
    ``(k, resamples)`` when the statistic returns ``k`` numbers (all from the same resamples).

    Group ``g`` has ``sizes[g]`` independent units; each resample draws ``sizes[g]`` unit
    indices with replacement in every group independently and passes them as int arrays.
    """
    data = tuple(np.arange(n) for n in sizes)

    def stat(*idx: np.ndarray) -> np.ndarray:
        return np.asarray(statistic(*(np.asarray(i, dtype=int) for i in idx)), float)

    with warnings.catch_warnings():
        # scipy's own interval is not used, so its warning that a statistic (nan in some
        # resamples, e.g. an undefined slope) leaves that interval undefined does not apply
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap(data, stat, n_resamples=resamples, vectorized=False,
                              paired=False, method="percentile", confidence_level=LEVEL,
                              random_state=np.random.default_rng(seed))
    return np.asarray(res.bootstrap_distribution, float)


def interval(estimate: float, values: np.ndarray, level: float = LEVEL) -> Interval:
    """The percentile interval of bootstrap ``values`` around ``estimate``."""
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(float(estimate), float(low), float(high), level)


def bootstrap(sizes: Sequence[int], statistic: Callable[..., float], **kw: int) -> Interval:
    """``statistic`` on all units, with its percentile bootstrap interval."""
    full = statistic(*(np.arange(n) for n in sizes))
    return interval(float(full), distribution(sizes, statistic, **kw))


Side = Literal["above", "below", "straddles"]


def side(iv: Interval, threshold: float) -> Side:
    """``above`` if ``low > threshold``, ``below`` if ``high <= threshold``, else ``straddles``.

    The threshold itself counts as "below": a claim "more than t" needs the whole interval
    beyond t.
    """
    if iv.low > threshold:
        return "above"
    if iv.high <= threshold:
        return "below"
    return "straddles"


def within(iv: Interval, lo: float, hi: float) -> Literal["inside", "outside", "straddles"]:
    """Whether the whole interval lies in ``[lo, hi]``, wholly outside it, or across an end."""
    if lo <= iv.low and iv.high <= hi:
        return "inside"
    if iv.high < lo or iv.low > hi:
        return "outside"
    return "straddles"


def median_interval(values: np.ndarray) -> Interval:
    """The median of ``values`` with its percentile bootstrap interval (for error bands)."""
    v = np.asarray(values, float)
    if v.size < 2 or np.all(v == v[0]):
        return Interval(float(np.median(v)), float(np.min(v)), float(np.max(v)))
    res = stats.bootstrap((v,), np.median, n_resamples=RESAMPLES, vectorized=True,
                          method="percentile", confidence_level=LEVEL,
                          random_state=np.random.default_rng(BOOT_SEED))
    ci = res.confidence_interval
    return Interval(float(np.median(v)), float(ci.low), float(ci.high))


def proportion(k: int, n: int, level: float = LEVEL) -> Interval:
    """``k / n`` with its exact (Clopper-Pearson) interval: ``n`` independent trials."""
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=level)
    return Interval(k / n, float(ci.low), float(ci.high), level)
