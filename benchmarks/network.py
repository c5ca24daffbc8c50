"""Network-algebra benchmark: ``propagate`` of a 100-block residual MLP over 50 (sigma_w,
sigma_b) points at once (issue 32's budget: < 1 s at ``c0 = 1``).

Rows: tanh and relu, with and without pre-LayerNorm, from identical inputs (``c0 = 1``: q,
gradient gain, C'(1), C''(1)) and from two inputs of correlation 0.5 (``c0 = 0.5``: every
block also takes the two-input 2-D quadrature; reported, no budget). Median of 3 runs.
Run: ``python -m benchmarks.network``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from depthscope.theory.network import propagate, res_mlp

BUDGET_S = 1.0
BLOCKS, POINTS = 100, 50


def _median_seconds(fn, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    sw, sb = np.linspace(0.5, 2.5, POINTS), np.linspace(0.0, 0.5, POINTS)
    print(f"{'net':<28}{'c0':>5}{'seconds':>10}{'/budget':>9}")
    for act in ("tanh", "relu"):
        for layernorm in (False, True):
            net = res_mlp(act, sw, sb, BLOCKS, alpha=BLOCKS**-0.5, layernorm=layernorm)
            label = f"{act} res x{BLOCKS}{' pre-LN' if layernorm else ''}"
            for c0 in (1.0, 0.5):
                seconds = _median_seconds(lambda n=net, c=c0: propagate(n, 1.0, c),
                                          rounds=3 if c0 == 1.0 else 1)
                budget = f"{seconds / BUDGET_S:>9.2f}" if c0 == 1.0 else f"{'-':>9}"
                print(f"{label:<28}{c0:>5g}{seconds:>10.3f}{budget}")


if __name__ == "__main__":
    main()
