"""Figure of one activation: ``phi``, ``phi'`` and the essay's printed ``phi'`` if it differs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from depthscope.activations.base import Activation
from depthscope.activations.essay import printed_derivative


def plot_activation(act: Activation, path: str | Path, *, span: float = 6.0) -> Path:
    """Draw ``phi`` and ``phi'`` on ``[-span, span]`` into ``path`` (format from the suffix).

    Where the essay prints a wrong derivative (softplus, the semisigmoid) it is drawn dashed.
    """
    from matplotlib.figure import Figure

    x = np.linspace(-span, span, 2001)  # (2001,)
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.subplots()
    ax.plot(x, act.phi(x), label=f"{act.label}(x)")
    ax.plot(x, act.dphi(x), label="phi'(x)")
    printed = printed_derivative(act)
    if printed is not None and not printed.correct:
        ax.plot(x, printed(x), "--", label=f"essay's printed phi': {printed.printed}")
    for point in act.breakpoints:
        ax.axvline(point, color="0.8", lw=0.8, zorder=0)
    ax.axhline(0.0, color="0.5", lw=0.6, zorder=0)
    # the title names this activation with its parameters (tanh(scale=2)); the registered
    # formula is the unparameterised one, so it is shown only then
    title = act.definition.formula if act.is_affine_default else f"{act.label}(x)"
    ax.set(xlabel="x", title=title)
    ax.title.set_fontsize(8 if act.is_affine_default else 10)
    ax.legend(fontsize=8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path
