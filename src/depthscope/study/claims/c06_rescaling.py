"""Claim 6: tanh(n·x) is tanh(x) with rescaled weights; training matches only with the
learning rate rescaled (n² for SGD, n for Adam)."""

from __future__ import annotations

import numpy as np

from depthscope.report.figures import plot
from depthscope.study.claims import QA, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult, Table

INFO = ClaimInfo(
    "6", QA + " — last answer and its correction in the comments",
    "Replacing tanh(x) by tanh(n·x) only rescales the weights and biases by n, so it changes "
    "nothing but the initialisation; training follows the same path only if the learning "
    "rate is rescaled too (n² for SGD, n for Adam).",
    "Theory's rescaling verifier (depthscope.theory.verify_rescaling): train the tanh(n·x) "
    "net and the tanh(x) net with weights ×n side by side in float64 with torch's own "
    "optimisers and the derived learning-rate mapping, and report the largest parameter "
    "difference over training (hidden parameters compared after dividing by n).",
)
EXACT = 1e-9
CASES = (("sgd", True), ("momentum", True), ("adam", True), ("adam", False))


RULE = (f"Train the rescaled and the original net side by side in float64: holds if every "
        f"optimizer's training path coincides (largest parameter difference ≤ {EXACT:g}) with "
        "its rescaled hyper-parameters; holds with caveats if Adam coincides only with its eps "
        "rescaled as well; does not hold if a rescaled path departs.")


def decide(diffs: dict[tuple[str, bool], float]) -> tuple[str, str]:
    """Holds if every mapping is exact; with caveats if Adam needs its eps rescaled as well."""
    exact = {k: v <= EXACT for k, v in diffs.items()}
    text = ", ".join(f"{opt}{'' if eps else ' (eps not rescaled)'}: {d:.2e}"
                     for (opt, eps), d in diffs.items())
    main = [k for k in diffs if k[1]]
    if not all(exact[k] for k in main):
        return "does not hold", f"largest parameter differences: {text}."
    if all(exact.values()):
        return "holds", f"training paths coincide (largest parameter differences: {text})."
    return "holds with caveats", (
        f"exact for SGD and momentum with lr × n² and for Adam with lr × n, but Adam is exact "
        f"only if its eps is divided by n as well (largest parameter differences: {text}).")


def check(ctx: Context) -> ClaimResult:
    from depthscope.theory import rescale_equivalent, verify_rescaling

    rows, diffs = [], {}
    for n in (2.0, 3.0):
        for opt, scale_eps in CASES:
            res = verify_rescaling(n, opt, scale_eps=scale_eps, steps=50)
            key = (opt, scale_eps)
            diffs[key] = max(diffs.get(key, 0.0), res.max_param_diff)
            mapping = rescale_equivalent(n, opt)
            rows.append((n, opt, scale_eps, mapping.lr_factor, res.max_param_diff,
                         res.max_output_diff))
    verdict, why = decide(diffs)

    def draw(axes: np.ndarray) -> None:
        labels = [f"{o}{'' if e else ' (same eps)'}" for o, e in diffs]
        axes[0, 0].bar(range(len(diffs)), [max(v, 1e-18) for v in diffs.values()])
        axes[0, 0].set_xticks(range(len(diffs)), labels, rotation=15)
        axes[0, 0].axhline(EXACT, color="k", ls="--")
        axes[0, 0].set(yscale="log", ylabel="max |θ̃/n − θ|", title="rescaled training paths")

    fig = plot("claim06_rescaling", "Largest parameter difference between the tanh(n·x) net "
               "and the rescaled tanh(x) net over 50 steps (dashed: 1e-9, float64 agreement).",
               draw)
    table = Table("Rescaling verifier (float64, 50 steps)",
                  ("n", "optimizer", "eps rescaled", "hidden lr factor", "max param diff",
                   "max read-out diff"), tuple(rows))
    worst = max(float(r[4]) for r in rows if r[2])
    return INFO.result(verdict, why, figures=[fig], tables=[table], rule=RULE,
                       key=f"largest parameter difference with rescaled lr (and eps) {worst:.1e}")
