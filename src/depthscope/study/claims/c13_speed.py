"""Claim 13: logsig's "particularly ugly derivative" makes it too slow for practical use."""

from __future__ import annotations

import numpy as np
import torch

from depthscope.activations.timing import forward_backward, ratios
from depthscope.report.figures import plot
from depthscope.study.claims import ESSAY, ClaimInfo
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult, Table

INFO = ClaimInfo(
    "13", ESSAY,
    "logsig has a particularly ugly derivative that slows down training.",
    "Time forward + backward of each activation relative to torch.relu on the same float32 "
    "tensor in one process, 9 rounds that run ReLU and each candidate in turn (least-"
    "disturbed time over least-disturbed ReLU time, robust on a shared machine; the timer of "
    "the activation benchmark): depthscope's fused closed-form kernels, and a naive autograd "
    "composition of the formula for comparison. Sizes are the profile's (the full benchmark, "
    "`make bench`, uses 2^24 values).",
)
ACTIVATIONS = ("tanh", "sigmoid", "softsign", "logsig", "softplus")
SLOW = 1.3  # the project's target: at most 1.3x relu


def decide(fused: dict[str, float], naive: dict[str, float]) -> tuple[str, str]:
    """Logsig (fused) against ReLU and against tanh, the sigmoid everyone uses: does not
    hold if within ``SLOW``x of either; holds with caveats up to 2x tanh; else holds."""
    f, n, t = fused["logsig"], naive["logsig"], fused["tanh"]
    text = (f"fused logsig forward + backward takes {f:.2f}× ReLU and {f / t:.2f}× tanh "
            f"(naive autograd: {n:.2f}× ReLU)")
    if f <= SLOW or f <= SLOW * t:
        return "does not hold", text + (
            "; written in closed form its derivative costs about what tanh's does.")
    if f <= 2 * t:
        return "holds with caveats", text + "; slower than tanh, though not by much."
    return "holds", text + "."


def check(ctx: Context) -> ClaimResult:
    import depthscope.functional as F
    from depthscope.activations import get

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(ctx.profile.bench_size, generator=gen, requires_grad=True)  # (N,)
    g = torch.randn(ctx.profile.bench_size, generator=gen)  # (N,)

    fused, naive, rows = {}, {}, []
    for name in ctx.track(ACTIVATIONS, "claim 13: timing activations"):
        act = get(name)
        _, best = ratios({"fused": forward_backward(lambda t, a=act: F.activation(t, a), x, g),
                          "naive": forward_backward(act.phi, x, g)},
                         forward_backward(torch.relu, x, g), reps=9)
        fused[name], naive[name] = best["fused"], best["naive"]
        rows.append((name, fused[name], naive[name]))
    verdict, why = decide(fused, naive)

    def draw(axes: np.ndarray) -> None:
        pos = np.arange(len(ACTIVATIONS))
        axes[0, 0].bar(pos - 0.2, [fused[a] for a in ACTIVATIONS], 0.4, label="fused")
        axes[0, 0].bar(pos + 0.2, [naive[a] for a in ACTIVATIONS], 0.4, label="naive autograd")
        axes[0, 0].axhline(1.0, color="k", lw=0.8)
        axes[0, 0].set_xticks(pos, ACTIVATIONS)
        axes[0, 0].set(ylabel="time / relu", title="forward + backward cost")
        axes[0, 0].legend()

    fig = plot("claim13_speed", "Forward + backward time relative to torch.relu (1 = as fast "
               "as ReLU); measured side by side in this process.", draw)
    table = Table(f"Time relative to relu, {ctx.profile.bench_size} float32 values, "
                  f"{torch.get_num_threads()} threads",
                  ("activation", "fused / relu", "naive / relu"), tuple(rows))
    return INFO.result(verdict, why, figures=[fig], tables=[table])
