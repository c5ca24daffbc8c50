"""Probe benchmark: one ``probe`` of a residual MLP of width 256 on a batch of 128, at 25, 50
and 100 blocks (issue 16's budget: < 5 s at 50 blocks; the cost should grow linearly with
depth). Median of 3 runs, 8 projections. Run: ``python -m benchmarks.probe``.
"""

from __future__ import annotations

import statistics
import time

import torch

from depthscope.nets import MLPSpec, build
from depthscope.probing import probe

BUDGET_S = 5.0


def main() -> None:
    x = torch.randn(128, 256, generator=torch.Generator().manual_seed(0))
    print(f"{'blocks':>7}{'seconds':>10}{'s/block':>10}{'/budget(50)':>13}")
    for blocks in (25, 50, 100):
        spec = MLPSpec(depth=blocks + 1, width=256, in_features=256, out_features=10,
                       activation="relu", init="he", residual=True, alpha=blocks**-0.5)
        model = build(spec, seed=0)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            probe(model, x)
            times.append(time.perf_counter() - start)
        t = statistics.median(times)
        budget = f"{t / BUDGET_S:>13.2f}" if blocks == 50 else f"{'-':>13}"
        print(f"{blocks:>7}{t:>10.3f}{t / blocks:>10.4f}{budget}")


if __name__ == "__main__":
    main()
