"""Figures: log10 gradient norm per layer and step, and the gradient-flow profile.

The widely copied ``plot_grad_flow`` uses a linear axis, on which both a vanishing profile
(1e-8) and an exploding one look like "zero except the top"; both panels here are
logarithmic, and nan/inf cells are drawn in red.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from depthscope.monitor.record import Record


def plot(record: Record, path: str | Path | None = None) -> Any:
    """Heat map (layers × steps, log10 norm) and profile (norm vs layer at a few steps).

    Returns the matplotlib figure, or the path when ``path`` is given (the file is written).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    norms = record.norms()  # (records, layers), masked where no gradient
    with np.errstate(divide="ignore", invalid="ignore"):
        logn = np.ma.log10(np.ma.masked_invalid(norms.filled(np.nan)))
    bad = ~np.isfinite(norms.filled(0.0))
    fig, (heat, flow) = plt.subplots(1, 2, figsize=(12, 4.5), width_ratios=(3, 2))
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="lightgrey")
    if record.steps.size:
        extent = (record.steps[0] - 0.5, record.steps[-1] + 0.5, -0.5, len(record.layers) - 0.5)
        image = heat.imshow(logn.T, aspect="auto", origin="lower", cmap=cmap, extent=extent,
                            interpolation="nearest")
        fig.colorbar(image, ax=heat, label="log10 ‖grad‖")
        if bad.any():
            heat.imshow(np.ma.masked_where(~bad.T, np.ones(bad.T.shape)), aspect="auto",
                        origin="lower", cmap="autumn", extent=extent, interpolation="nearest")
    heat.set(xlabel="optimizer step", ylabel="layer (input at the bottom)",
             title="gradient norm per layer (red: nan/inf)")
    picks = sorted({0, record.steps.size // 2, record.steps.size - 1}) if record.steps.size else []
    for r in picks:
        row = norms[r]
        flow.plot(np.arange(len(record.layers)), row.filled(np.nan), marker=".",
                  label=f"step {record.steps[r]}")
    flow.set_yscale("log")
    flow.set(xlabel="layer (input → output)", ylabel="‖grad‖ (log scale)",
             title="gradient flow")
    if picks:
        flow.legend()
    fig.tight_layout()
    if path is None:
        return fig
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
