"""Theory benchmark: a 100x100 (sigma_w, sigma_b) phase diagram with trainable depth.

Budget: < 2 s per activation (issue 3). Columns: cold (first call, builds the activation's
tables), warm (tables cached), warm / budget — all for the map ``depthscope phase`` draws
(``exact=False``) — and ``exact=True`` (q* and c* polished by quadrature at every point) on a
10x10 grid, scaled to 100x100, over warm: what the tables save.
Run: ``python -m benchmarks.theory``.
"""

from __future__ import annotations

import time

import numpy as np

from depthscope.activations import get
from depthscope.theory import phase_diagram
from depthscope.theory.maps import kernel_table, table

BUDGET_S = 2.0
NAMES = ("tanh", "relu", "hardtanh", "softsign", "logsig", "erf", "gelu", "sigmoid")


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    sw, sb = np.linspace(0.05, 4.0, 100), np.linspace(0.0, 2.0, 100)
    print(f"{'activation':<12}{'cold s':>9}{'warm s':>9}{'warm/budget':>13}{'exact/warm':>12}")
    for name in NAMES:
        act = get(name)
        table.cache_clear()
        kernel_table.cache_clear()
        cold = _time(lambda a=act: phase_diagram(a, sw, sb, exact=False))
        warm = _time(lambda a=act: phase_diagram(a, sw, sb, exact=False))
        exact = 100 * _time(lambda a=act: phase_diagram(a, sw[::10], sb[::10], exact=True))
        print(f"{name:<12}{cold:>9.3f}{warm:>9.3f}{warm / BUDGET_S:>13.2f}{exact / warm:>12.1f}")


if __name__ == "__main__":
    main()
