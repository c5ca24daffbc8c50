"""Figures: each layer's gradient norm against the healthy uniform profile, over steps.

The widely copied ``plot_grad_flow`` uses a linear axis, on which both a vanishing profile
(1e-8) and an exploding one look like "zero except the top". Here the heat map shows
``log10(norm_l / median_l norm_l)`` per step: a healthy net, whose layers all get gradients of
one size, is white whatever its scale; vanishing is blue towards the input, exploding red.
The colour scale is fixed (``±SCALE`` decades) so figures of different runs compare. Rows
are the modules by name in forward order (input at the bottom); steps whose gradient was
nan/inf are marked. The side panel is the global norm over steps (log scale).

The figure is built with ``matplotlib.figure.Figure``: no pyplot, no backend switch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from depthscope.monitor.record import Record

SCALE = 3.0  # decades either side of the median layer, fixed across figures
MAX_TICKS = 40  # module names shown on the heat map's y axis (evenly thinned beyond)


def relative_profile(record: Record) -> tuple[np.ndarray, list[int]]:
    """``(records, layers)`` ``log10(norm_l / median_l norm_l)`` with layers in forward order
    (nan where a layer had no finite gradient), and that order."""
    order = record.ordered()
    norms = record.norms()[:, order].filled(np.nan)
    usable = np.isfinite(norms) & (norms > 0)
    logn = np.log10(np.where(usable, norms, 1.0))
    logn[~usable] = np.nan
    centre = np.zeros((logn.shape[0], 1))
    rows = usable.any(axis=1)
    centre[rows, 0] = np.nanmedian(logn[rows], axis=1)
    return logn - centre, order


def plot(record: Record, path: str | Path | None = None) -> Any:
    """The heat map and the global norm (see the module docstring).

    Returns the matplotlib ``Figure``, or the path when ``path`` is given (the file is
    written).
    """
    import matplotlib
    from matplotlib.figure import Figure

    relative, order = relative_profile(record)
    names = [record.layers[i].name for i in order]
    fig = Figure(figsize=(12, max(4.5, 0.18 * min(len(names), MAX_TICKS) + 1.5)),
                 layout="constrained")
    heat, total = fig.subplots(1, 2, width_ratios=(3, 1.3))
    cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad="lightgrey")
    steps = record.steps
    if steps.size:
        extent = (steps[0] - 0.5, steps[-1] + 0.5, -0.5, len(names) - 0.5)
        image = heat.imshow(np.clip(relative.T, -SCALE, SCALE), aspect="auto", origin="lower",
                            cmap=cmap, vmin=-SCALE, vmax=SCALE, extent=extent,
                            interpolation="nearest")
        fig.colorbar(image, ax=heat, label="log10 (‖grad‖ / median layer's)")
    ticks = np.unique(np.linspace(0, len(names) - 1, min(len(names), MAX_TICKS)).astype(int))
    heat.set_yticks(ticks, [names[i] for i in ticks], fontsize=7)
    heat.set(xlabel="optimizer step", ylabel="module (forward order, input at the bottom)",
             title="gradient norm per layer against the median layer (white: healthy)")
    global_norm = record.global_norm()
    finite = np.isfinite(global_norm) & (global_norm > 0)
    total.plot(steps[finite], global_norm[finite], color="black", lw=1)
    total.set_yscale("log")
    total.set(xlabel="optimizer step", ylabel="global ‖grad‖ (log scale)",
              title="global gradient norm")
    if record.first_nonfinite:
        first = min(record.first_nonfinite.values())
        for ax in (heat, total):
            ax.axvline(first, color="red", lw=1.5, ls="--")
        total.annotate(f"first nan/inf: step {first}", (first, 0.95), color="red",
                       xycoords=("data", "axes fraction"), ha="right", fontsize=8)
    if path is None:
        return fig
    fig.savefig(path, dpi=110)
    return Path(path)
