"""Claim 11: sigmoid/tanh/arctan slopes decay exponentially, softsign and logsig's do not."""

from __future__ import annotations

import numpy as np

from depthscope.activations import get
from depthscope.report.figures import plot
from depthscope.study.claims import ESSAY, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult, Table

INFO = ClaimInfo(
    "11", ESSAY,
    "The logistic sigmoid, arctan and tanh have exponentially decaying derivatives in their "
    "tails; softsign and logsig have subexponential (\"subgeometric\") tails.",
    "Measure the local decay of phi' numerically: the power exponent "
    "p(x) = −d log phi'/d log x at x = 8 and x = 16. A power-law tail has p(16) ≈ p(8); an "
    "exponential one has p growing ∝ x (p(16)/p(8) ≈ 2). Compare with the essay's class "
    "and with the activation metadata.",
)
ESSAY_SAYS = {"sigmoid": "exponential", "tanh": "exponential", "arctan": "exponential",
              "softsign": "subexponential", "logsig": "subexponential"}
X1, X2 = 8.0, 16.0


def power_exponent(name: str, x: float, h: float = 1e-3) -> float:
    """``-d log phi'(x) / d log x`` by a central difference in ``log x``."""
    act = get(name)
    up, down = act.dphi(np.float64(x * np.exp(h))), act.dphi(np.float64(x * np.exp(-h)))
    return float(-(np.log(up) - np.log(down)) / (2 * h))


def classify(p1: float, p2: float) -> str:
    """Exponential if the power exponent keeps growing (doubling x ≥ 1.5x p), else power."""
    return "exponential" if p2 > 1.5 * p1 else "subexponential"


RULE = ("Each activation's tail class (exponential or subexponential, from the local "
        "power exponent of its slope far out) against the essay's: holds if all match, "
        "partly holds if all but one do, does not hold otherwise.")


def decide(measured: dict[str, str]) -> tuple[str, str]:
    """:data:`RULE`: holds if every class matches the essay; partly if all but one do."""
    wrong = [n for n, c in measured.items() if c != ESSAY_SAYS[n]]
    if not wrong:
        return "holds", "every measured tail class matches the essay."
    text = ", ".join(f"{n} is {measured[n]}, not {ESSAY_SAYS[n]}" for n in wrong)
    if len(wrong) == 1:
        return "partly holds", f"all but one match: {text}."
    return "does not hold", f"{len(wrong)} mismatches: {text}."


def check(ctx: Context) -> ClaimResult:
    rows, measured = [], {}
    for name in ESSAY_SAYS:
        p1, p2 = power_exponent(name, X1), power_exponent(name, X2)
        measured[name] = classify(p1, p2)
        tail = get(name).meta.tail_right
        rows.append((name, ESSAY_SAYS[name], p1, p2, measured[name], tail.describe()))
    verdict, why = decide(measured)

    def draw(axes: np.ndarray) -> None:
        x = np.logspace(-1, 2, 400)
        for name in ESSAY_SAYS:
            axes[0, 0].loglog(x, get(name).dphi(x), label=name)
        axes[0, 0].set(xlabel="x", ylabel="phi'(x)", ylim=(1e-12, 2),
                       title="tails of phi' (log–log: power laws are straight)")
        axes[0, 0].legend()

    fig = plot("claim11_tails", "phi' on log–log axes: softsign, logsig and arctan fall as "
               "power laws (straight lines); sigmoid and tanh fall off a cliff (exponential).",
               draw)
    table = Table("Tail of phi' (right tail)",
                  ("activation", "essay says", f"p(x={X1:g})", f"p(x={X2:g})", "measured",
                   "metadata"), tuple(rows))
    matches = sum(r[1] == r[4] for r in rows)
    return INFO.result(verdict, why, figures=[fig], tables=[table], rule=RULE,
                       key=f"{matches} of {len(rows)} tail classes as the essay says")
