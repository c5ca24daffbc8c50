"""Side-by-side benchmarks (``make bench``); shared helpers below."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from depthscope.study.claims.c13_speed import ratio_interval


def ratio_text(times: Mapping[str, Sequence[float]], name: str, base: str,
               digits: int = 2) -> str:
    """``estimate [low–high]``: ``name``'s time over ``base``'s, the median of the per-round
    ratios with its 95 % bootstrap interval over rounds (paired by round)."""
    r = ratio_interval(times, name, base)
    return f"{r.estimate:.{digits}f} [{r.low:.{digits}f}–{r.high:.{digits}f}]"
