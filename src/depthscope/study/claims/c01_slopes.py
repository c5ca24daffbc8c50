"""Claim 1: tanh' < 1 away from 0, and tanh(n·x) has the maximal slope n (Q&A)."""

from __future__ import annotations

import numpy as np

from depthscope.activations import get
from depthscope.report.figures import plot
from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult, Table

INFO = ClaimInfo(
    "1", QA,
    "tanh'(x) = 1 − tanh²(x) < 1 for every x ≠ 0, and tanh(n·x) has maximal slope n.",
    "Evaluate the closed-form derivative of tanh(n·x) on a dense grid (|x| ≤ 20, step 1e-4, "
    "float64) and take the supremum of |phi'| found by grid + Brent refinement (activation "
    "metadata) for several n.",
)
SCALES = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)


RULE = ("Holds if tanh' < 1 everywhere on the grid away from 0 and sup |phi'| of tanh(n·x) "
        "equals n to 1e-9 for every n tried; otherwise does not hold.")


def decide(max_away_from_0: float, worst_slope_error: float, tol: float = 1e-9) -> tuple[str, str]:
    """Holds iff tanh' < 1 on the grid away from 0 and sup phi' = n to ``tol`` for every n."""
    ok_tanh = max_away_from_0 < 1.0
    ok_scale = worst_slope_error <= tol
    if ok_tanh and ok_scale:
        return "holds", (
            f"the largest tanh' found away from 0 is {max_away_from_0:.12f} < 1, and sup |phi'| "
            f"of tanh(n·x) equals n within {worst_slope_error:.1e} for every n tried."
        )
    return "does not hold", (
        f"largest tanh' away from 0: {max_away_from_0:.12f}; worst |sup phi' − n|: "
        f"{worst_slope_error:.3e}."
    )


def check(ctx: Context) -> ClaimResult:
    x = np.arange(-200_000, 200_001) * 1e-4  # (400001,) |x| <= 20
    away = x[np.abs(x) > 5e-5]
    max_away = float(np.max(get("tanh").dphi(away)))
    rows = []
    for n in SCALES:
        act = get("tanh", scale=n)
        rows.append((n, act.meta.max_slope, act.meta.argmax_slope,
                     abs(act.meta.max_slope - n)))
    worst = max(r[3] for r in rows)
    verdict, why = decide(max_away, worst)

    def draw(axes: np.ndarray) -> None:
        ax = axes[0, 0]
        grid = np.linspace(-3, 3, 1201)
        for n in (1.0, 2.0, 3.0):
            ax.plot(grid, get("tanh", scale=n).dphi(grid), label=f"n = {n:g}")
        ax.axhline(1.0, color="k", lw=0.7, ls="--")
        ax.set(xlabel="x", ylabel="d/dx tanh(n x)", title="slope of tanh(n·x)")
        ax.legend()

    fig = plot("claim01_slopes", "The slope n(1 − tanh²(n x)): it reaches n only at x = 0; "
               "the dashed line is slope 1.", draw)
    table = Table("Supremum of the slope of tanh(n·x)",
                  ("n", "sup |phi'|", "at x", "|sup − n|"), tuple(rows))
    return INFO.result(verdict, why, figures=[fig], tables=[table], rule=RULE,
                       numbers={"max tanh' with |x| > 5e-5": max_away,
                                "1 − max tanh'": 1.0 - max_away},
                       key=f"max tanh' away from 0 = 1 − {1.0 - max_away:.1e}; worst |sup φ' − n| "
                       f"= {worst:.1e}")
