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


def synchronized(step: Step, device: torch.device) -> Step:
    """``step`` followed by waiting for the device (CUDA runs asynchronously: without the
    wait a timer measures the launch, not the work); on CPU ``step`` itself."""
    if device.type != "cuda":
        return step

    def run() -> object:
        out = step()
        torch.cuda.synchronize(device)
        return out

    return run


def ratios(
    candidates: dict[str, Step], baseline: Step, reps: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Per candidate: ``median time(candidate) / median time(baseline)`` and
    ``min time(candidate) / min time(baseline)`` (the least disturbed run of each). Warmed up
    first, then ``reps`` rounds that each time the baseline and every candidate in turn, so
    slow drifts of the machine (clock, load, the state of the allocator) hit all alike."""
    steps = {"": baseline, **candidates}
    for fn in steps.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(reps):
        for key, fn in steps.items():
            t0 = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - t0)
    base, base_best = statistics.median(times[""]), min(times[""])
    median = {k: statistics.median(times[k]) / base for k in candidates}
    best = {k: min(times[k]) / base_best for k in candidates}
    return median, best


def rounds(steps: dict[str, Step], rounds: int, inner: int) -> dict[str, list[float]]:
    """Per step, ``rounds`` times: the least-disturbed of ``inner`` consecutive calls.

    Every round times each step in turn (the order rotating from round to round), so a
    change of machine load hits all steps of a round alike: ratios taken *within* a round
    (``t_a[r] / t_b[r]``) cancel it, which is what makes them stable on a loaded machine.
    """
    names = list(steps)
    for fn in steps.values():  # warm-up (compilation, allocator)
        fn()
    times: dict[str, list[float]] = {k: [] for k in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for key in order:
            best = float("inf")
            for _ in range(inner):
                t0 = time.perf_counter()
                steps[key]()
                best = min(best, time.perf_counter() - t0)
            times[key].append(best)
    return times
