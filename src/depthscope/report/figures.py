"""Render matplotlib figures (Agg backend, imported lazily) into report figures."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from depthscope.study.result import Figure


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 5.0, height: float = 3.6) -> Any:
    """A matplotlib ``(fig, axes)`` pair on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    return fig, axes


def render(fig: Any, name: str, caption: str) -> Figure:
    """Close ``fig`` and return it as PNG bytes and SVG text."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    png, svg = io.BytesIO(), io.StringIO()
    fig.savefig(png, format="png", dpi=110)
    fig.savefig(svg, format="svg")
    plt.close(fig)
    return Figure(name=name, caption=caption, png=png.getvalue(), svg=svg.getvalue())


def plot(name: str, caption: str, draw: Callable[[Any], None], ncols: int = 1,
         nrows: int = 1, width: float = 5.0, height: float = 3.6) -> Figure:
    """Make a figure of ``nrows x ncols`` axes, let ``draw(axes)`` fill it, render it."""
    fig, axes = new_figure(ncols, nrows, width, height)
    try:
        draw(axes)
    except BaseException:
        import matplotlib.pyplot as plt

        plt.close(fig)
        raise
    return render(fig, name, caption)
