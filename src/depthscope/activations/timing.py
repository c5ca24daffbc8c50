"""Side-by-side timing of forward + backward against a baseline, in one process.

Used by ``benchmarks/activations.py`` (``make bench``) and by the study's claim 13, so the
report's speed figure and the benchmark's are the same measurement.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch

Step = Callable[[], object]


def forward_backward(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, g: torch.Tensor
) -> Step:
    """A callable doing ``y = f(x)`` then ``dy/dx`` for the upstream gradient ``g``."""
    return lambda: torch.autograd.grad(f(x), x, g)


def ratios(
    candidates: dict[str, Step], baseline: Step, reps: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Per candidate: the median over ``reps`` of ``time(candidate) / time(baseline)`` (each
    pair timed back to back), and ``min time(candidate) / min time(baseline)`` (the least
    disturbed run of each, robust on a shared machine). Warmed up first."""
    for fn in (baseline, *candidates.values()):
        fn()
    pairs: dict[str, list[tuple[float, float]]] = {k: [] for k in candidates}
    for _ in range(reps):
        for key, fn in candidates.items():
            t0 = time.perf_counter()
            baseline()
            t1 = time.perf_counter()
            fn()
            t2 = time.perf_counter()
            pairs[key].append((t1 - t0, t2 - t1))
    median = {k: statistics.median(c / b for b, c in v) for k, v in pairs.items()}
    best = {k: min(c for _, c in v) / min(b for b, _ in v) for k, v in pairs.items()}
    return median, best
