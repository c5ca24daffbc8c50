"""Claim 12: the essay's printed derivatives, and "use the ramp derivative beyond |x| ≈ 4"."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from depthscope.activations import get
from depthscope.report.figures import plot
from depthscope.study.claims import ESSAY, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult, Table

INFO = ClaimInfo(
    "12", ESSAY,
    "The printed derivatives of softsign, logsig, ramp, softplus, logmin and the logarithmic "
    "semisigmoid are right, and for softplus one may use the ramp derivative beyond |x| ≈ 4.",
    "Read each printed formula literally and compare it on a grid (|x| ≤ 10, step 1e-3, "
    "float64, points within 1e-3 of a kink left out) with a central finite difference of "
    "phi itself (step 1e-6) — an independent check of the closed forms too. The ramp "
    "shortcut's error is measured against sigmoid(x), the exact softplus derivative.",
)
TOL = 1e-5  # a formula is right if it matches the finite difference to this
RAMP_AT = 4.0


def finite_difference(name: str, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """``(phi(x + h) - phi(x - h)) / 2h`` in float64."""
    act = get(name)
    return (act.phi(x + h) - act.phi(x - h)) / (2 * h)


RULE = (f"A printed derivative is right if it matches a finite difference to {TOL:g}; the "
        f"ramp shortcut beyond |x| = {RAMP_AT:g} is fine if it changes the gradient by less "
        "than 5 %. Holds if every formula is right and the shortcut fine; partly holds if "
        "fewer than half are wrong and the shortcut is fine; does not hold otherwise.")


def decide(errors: dict[str, float], ramp_error: float, ramp_bound: float
           ) -> tuple[str, str]:
    """Holds if every printed formula is right and the ramp shortcut errs by < 5 %."""
    wrong = [n for n, e in errors.items() if e > TOL]
    ramp_ok = ramp_error <= ramp_bound * (1 + 1e-6) and ramp_error < 0.05
    ramp_text = (f"the ramp shortcut beyond |x| > {RAMP_AT:g} changes the gradient by at "
                 f"most {ramp_error:.4f} (bound sigmoid(−{RAMP_AT:g}) = {ramp_bound:.4f})")
    if not wrong and ramp_ok:
        return "holds", f"every printed derivative matches; {ramp_text}."
    detail = ", ".join(f"{n} (max error {errors[n]:.3g})" for n in wrong)
    if len(wrong) * 2 < len(errors) and ramp_ok:
        return "partly holds", (
            f"{len(errors) - len(wrong)} of {len(errors)} printed derivatives are right; wrong: "
            f"{detail}; {ramp_text}.")
    return "does not hold", f"wrong: {detail}; {ramp_text}."


def check(ctx: Context) -> ClaimResult:
    from depthscope.activations.essay import PRINTED

    x = np.arange(-10_000, 10_001) * 1e-3  # (20001,)
    rows, errors = [], {}
    for name, printed in PRINTED.items():
        act = get(name)
        keep = np.all([np.abs(x - k) > 1e-3 for k in (*act.breakpoints, 0.0)], axis=0)
        fd = finite_difference(name, x[keep])
        errors[name] = float(np.max(np.abs(printed(x[keep]) - fd)))
        ours = float(np.max(np.abs(act.dphi(x[keep]) - fd)))
        rows.append((printed.essay_name, printed.printed, errors[name],
                     "right" if errors[name] <= TOL else "wrong", ours, printed.note))
    ramp = get("softplus", ramp_beyond=RAMP_AT)
    ramp_error = float(np.max(np.abs(ramp.dphi(x) - expit(x))))
    verdict, why = decide(errors, ramp_error, float(expit(-RAMP_AT)))

    def draw(axes: np.ndarray) -> None:
        grid = np.linspace(-4, 4, 801)
        for ax, name in zip(axes[0], ("softplus", "log_semisigmoid"), strict=True):
            ax.plot(grid, get(name).dphi(grid), label="correct phi'")
            ax.plot(grid, PRINTED[name](grid), "--", label="as printed")
            ax.set(xlabel="x", title=PRINTED[name].essay_name)
            ax.legend()

    fig = plot("claim12_formulas", "The two printed derivatives that are wrong: softplus's "
               "exp(x)/exp(x+1) is the constant 1/e, and the semisigmoid's sign is flipped "
               "for x ≤ 0.", draw, ncols=2)
    table = Table("Printed derivative against a finite difference of phi",
                  ("function", "printed", "max |printed − FD|", "verdict",
                   "max |ours − FD|", "note"), tuple(rows))
    return INFO.result(verdict, why, figures=[fig], tables=[table], rule=RULE,
                       numbers={"ramp shortcut max gradient error": ramp_error},
                       key=f"{sum(r[3] == 'right' for r in rows)} of {len(rows)} printed "
                       "derivatives right")
