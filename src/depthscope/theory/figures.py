"""Figures of the theory (matplotlib, Agg, imported lazily): one function per picture."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from depthscope.theory.edge import PhaseDiagram, edge_of_chaos, phase_diagram
from depthscope.theory.maps import ActLike, as_activation
from depthscope.theory.meanfield import chi1, fixed_point
from depthscope.theory.network import Dense, Phi, State, serial
from depthscope.theory.thresholds import Thresholds


def _save(path: Path, draw: Callable) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    draw(ax, fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def slope_figure(act: ActLike, thr: Thresholds, path: Path) -> Path:
    """``|d/dx phi(n x)|`` with the thresholds ``1/M`` and ``1`` and their intervals."""
    a = as_activation(act).with_transform(scale=thr.scale)
    good = thr.good_interval or (0.0, 0.0)
    span = 3.0 * max(1.0, *(abs(v) for v in good if np.isfinite(v)))
    x = np.linspace(-span, span, 2001)

    def draw(ax, fig) -> None:
        ax.plot(x, np.abs(a.dphi(x)), label=f"|slope| of {a.label}")
        ax.axhline(1.0 / thr.max_slope, color="C2", ls="--", label=f"1/M = {1/thr.max_slope:.3g}")
        ax.axhline(1.0, color="C3", ls=":", label="1 (explode above)")
        for iv, colour, name in ((thr.good_interval, "C2", "good"),
                                 (thr.explode_interval, "C3", "explode")):
            if iv is not None:
                lo, hi = (float(np.clip(v, -span, span)) for v in iv)
                ax.axvspan(lo, hi, color=colour, alpha=0.12, label=f"{name} [{iv[0]:.3g}, "
                           f"{iv[1]:.3g}]")
        if thr.cancel_bound is not None:
            ax.set_title(f"cancel bound (K={thr.depth}): [{thr.cancel_bound[0]:.3g}, "
                         f"{thr.cancel_bound[1]:.3g}]", fontsize=9)
        ax.set(xlabel="x", ylabel="|d/dx phi(n x)|")
        ax.legend(fontsize=7)

    return _save(path, draw)


def qmap_figure(act: ActLike, sigma_w: float, sigma_b: float, path: Path) -> Path:
    """The length map ``q -> sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2`` and its fixed point."""
    a = as_activation(act)
    fp = fixed_point(a, sigma_w, sigma_b)
    top = 3.0 * max(1.0, float(fp.q_star) if fp.exists else 1.0)
    q = np.linspace(0.0, top, 300)
    qmap = serial(Phi(a), Dense(sigma_w, sigma_b)).forward(State.start(q)).q

    def draw(ax, fig) -> None:
        ax.plot(q, qmap, label=f"q-map (sigma_w={sigma_w:.3g}, sigma_b={sigma_b:.3g})")
        ax.plot(q, q, "k--", lw=0.8, label="identity")
        if fp.exists:
            ax.plot([fp.q_star], [fp.q_star], "o", color="C3", label=f"q* = {fp.q_star:.4g}")
        ax.set(xlabel="q^(l-1)", ylabel="q^l")
        ax.legend(fontsize=8)

    return _save(path, draw)


def chi1_figure(act: ActLike, sigma_b: float, critical: float | None, path: Path) -> Path:
    """``chi_1`` against ``sigma_w`` at fixed ``sigma_b`` (1 marks the edge of chaos)."""
    sw = np.linspace(0.05, 4.0, 200)
    chi = chi1(act, sw, sigma_b)

    def draw(ax, fig) -> None:
        ax.semilogy(sw, chi, label=f"chi_1 (sigma_b={sigma_b:.3g})")
        ax.axhline(1.0, color="k", ls="--", lw=0.8)
        if critical is not None:
            ax.axvline(critical, color="C3", ls=":", label=f"critical sigma_w = {critical:.4g}")
        ax.set(xlabel="sigma_w", ylabel="chi_1")
        ax.legend(fontsize=8)

    return _save(path, draw)


def phase_figure(act: ActLike, path: Path, diagram: PhaseDiagram | None = None,
                 point: tuple[float, float] | None = None) -> Path:
    """Heat map of ``log10`` trainable depth ``6 xi_c`` over ``(sigma_w, sigma_b)`` with the
    edge of chaos (a marked point where it is one, as ReLU's ``(sqrt 2, 0)``); hatched and
    labelled where no fixed point exists (``q`` grows without bound)."""
    a = as_activation(act)
    d = diagram or phase_diagram(a, np.linspace(0.05, 4.0, 80), np.linspace(0.0, 2.0, 60),
                                 exact=False)  # a heat map of log10 depth: the fast table
    edge = edge_of_chaos(a, d.sigma_b)

    def draw(ax, fig) -> None:
        with np.errstate(divide="ignore", invalid="ignore"):
            depth = np.log10(np.clip(d.trainable_depth, 1.0, 1e4))
        mesh = ax.pcolormesh(d.sigma_w, d.sigma_b, depth, shading="auto", cmap="viridis")
        fig.colorbar(mesh, ax=ax, label="log10 trainable depth 6 xi_c")
        ok = np.isfinite(edge.sigma_w)
        if ok.any():
            ax.plot(edge.sigma_w[ok], edge.sigma_b[ok], "w-", lw=1.5, label="edge of chaos",
                    marker="o" if ok.sum() < 3 else None, mec="k")
        if not d.exists.all():
            from matplotlib.patches import Patch

            ax.contourf(d.sigma_w, d.sigma_b, (~d.exists).astype(float), levels=[0.5, 1.5],
                        colors="lightgrey", hatches=["//"])
            ax.legend(handles=[*ax.get_legend_handles_labels()[0], Patch(
                facecolor="lightgrey", hatch="//", label="no fixed point (q grows without bound)")],
                fontsize=8, loc="upper right")
        if point is not None:
            ax.plot(*point, "r*", ms=10, label="this setting")
        label = {"transform": ax.transAxes, "bbox": {"fc": "white", "alpha": 0.7, "lw": 0}}
        ax.text(0.03, 0.95, "ordered", va="top", **label)
        ax.text(0.97, 0.05, "chaotic", ha="right", **label)
        ax.set(xlabel="sigma_w", ylabel="sigma_b", title=f"{a.label}: phase diagram",
               xlim=(d.sigma_w[0], d.sigma_w[-1]), ylim=(d.sigma_b[0], d.sigma_b[-1]))
        if d.exists.all():
            ax.legend(fontsize=8, loc="upper right")

    return _save(path, draw)
