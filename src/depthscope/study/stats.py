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
        """``"4 [95 % CI 2–8]"`` with ``digits`` significant digits."""
        f = _fmt(digits)
        return f"{f(self.estimate)} [{round(100 * self.level)} % CI {f(self.low)}–{f(self.high)}]"

    def to_json(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high,
                "level": self.level}


def _fmt(digits: int) -> Callable[[float], str]:
    def f(v: float) -> str:
        if float(v).is_integer() and abs(v) < 1e6:
            return str(int(v))
        return f"{v:.{digits}g}"
    return f


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
