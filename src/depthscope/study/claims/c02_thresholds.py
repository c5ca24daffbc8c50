"""Claim 2: the Q&A's thresholds 0.658, 9.0 and 0.441, and that n = 2 is the best scale."""

from __future__ import annotations

import numpy as np

from depthscope.report.figures import plot
from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult, Table

INFO = ClaimInfo(
    "2", QA,
    "For tanh(n·x): the slope is ≥ 1/n only on [−0.658, 0.658] at n = 2; one x beyond ±9.0 "
    "cancels 49 maximal slopes (K = 50, n = 2); the slope exceeds 1 only on [−0.441, 0.441] "
    "at n = 2; n = 2 gives the widest good interval, and a continuous n slightly wider.",
    "Theory's threshold analysis (depthscope.theory.thresholds): each interval found by "
    "root finding on the closed-form slope, the best n by maximising the interval width over "
    "integers 1..20 and over real n; each printed number compared at the precision printed.",
)


RULE = ("Each printed number or formula is reproduced if theory computes it to the printed "
        "digits. Holds if all are; partly holds if all but one are; does not hold otherwise.")


def decide(checks: list[tuple[str, float, float, bool]]) -> tuple[str, str]:
    """:data:`RULE`: holds if every printed number is reproduced; partly if all but one are."""
    failed = [c for c in checks if not c[3]]
    if not checks:
        return "not evaluated", "theory returned no check of the Q&A's numbers."
    if not failed:
        return "holds", f"all {len(checks)} printed numbers and formulas are reproduced."
    text = "; ".join(f"{c[0]}: Q&A {c[1]:g}, computed {c[2]:.6g}" for c in failed)
    if len(failed) == 1:
        return "partly holds", f"{len(checks) - 1} of {len(checks)} reproduced; not: {text}."
    return "does not hold", f"{len(failed)} of {len(checks)} not reproduced: {text}."


def check(ctx: Context) -> ClaimResult:
    from depthscope.theory import thresholds

    result = thresholds("tanh", scale=2.0, depth=50)
    checks = [(c.claim, c.qa_value, c.value, c.holds) for c in result.qa_checks]
    verdict, why = decide(checks)
    best = result.best_scale
    scales = np.array([1.25, 1.5, 2.0, 3.0, 4.0])
    good = [thresholds("tanh", scale=float(n), depth=2).good_interval[1] for n in scales]
    explode = [thresholds("tanh", scale=float(n), depth=2).explode_interval[1] for n in scales]

    def draw(axes: np.ndarray) -> None:
        ax = axes[0, 0]
        ax.plot(scales, good, label="t1(n): slope ≥ 1/n inside")
        ax.plot(scales, -np.asarray(good), color="C0")
        ax.plot(scales, explode, label="slope > 1 inside", color="C1")
        ax.plot(scales, -np.asarray(explode), color="C1")
        if best is not None:
            ax.axvline(best.continuous, color="k", ls=":", label="best continuous n")
        ax.set(xlabel="n", ylabel="x", title="thresholds of tanh(n·x)")
        ax.legend(fontsize=8)

    fig = plot("claim02_thresholds", "The Q&A's thresholds t1(n), t2(n) = −t1(n) and the "
               "exploding interval against a continuous n.", draw)
    table = Table("The Q&A's numbers recomputed", ("claim", "Q&A", "computed", "reproduced"),
                  tuple(checks))
    numbers = {} if best is None else {"best integer n": best.integer,
                                       "best continuous n": best.continuous,
                                       "widest interval width (continuous n)":
                                       best.continuous_width}
    held = sum(bool(c[3]) for c in checks)
    return INFO.result(verdict, why, figures=[fig], tables=[table], numbers=numbers, rule=RULE,
                       key=f"{held} of {len(checks)} of the Q&A's numbers reproduced (exact)")
