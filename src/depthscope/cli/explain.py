"""``depthscope explain ACT``: the Q&A thresholds, edge of chaos, depth scales and figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from depthscope.cli.common import JsonFlag, console, output_folder, print_json, safe


def _fmt(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return "—" if value is None else str(value)


def _threshold_tables(thr) -> list[Table]:
    t1 = Table(title=f"Q&A thresholds for {thr.activation}, K = {thr.depth}")
    t1.add_column("quantity")
    t1.add_column("value")
    best = thr.best_scale
    for name, value in (
        ("max slope M", thr.max_slope), ("good interval (slope ≥ 1/M)", thr.good_interval),
        ("cancel bound (slope ≥ M^-(K-1))", thr.cancel_bound),
        ("explode interval (slope > 1)", thr.explode_interval),
        ("best integer n", None if best is None else best.integer),
        ("best continuous n", None if best is None else best.continuous),
    ):
        t1.add_row(name, _fmt(value))
    out = [t1]
    if thr.qa_checks:
        t2 = Table(title="the Q&A's numbers, recomputed")
        for col in ("claim", "Q&A", "computed", "verdict"):
            t2.add_column(col)
        for c in thr.qa_checks:
            t2.add_row(c.claim, _fmt(c.qa_value), _fmt(c.value),
                       "[green]holds[/]" if c.holds else "[red]does not hold[/]")
        out.append(t2)
    return out


def _tables(ex) -> list[Table]:
    out = [] if ex.thresholds is None else _threshold_tables(ex.thresholds)
    ds = ex.depth_scales
    plain = "" if ex.network == "plain MLP" else "the plain MLP (a branch) "
    t3 = Table(title=f"mean field of {plain}{ex.activation} (not of the scaled phi(n x)) at "
                     f"sigma_w = {ex.sigma_w:.6g} ({ex.sigma_w_source}), "
                     f"sigma_b = {ex.sigma_b:.6g}")
    t3.add_column("quantity")
    t3.add_column("value")
    for name in ("phase", "q_star", "c_star", "chi1", "chi_c", "xi_q", "xi_c", "xi_grad",
                 "trainable_depth"):
        t3.add_row(name, _fmt(getattr(ds, name)))
    t3.add_row("critical sigma_w at this sigma_b", _fmt(ex.critical_sigma_w))
    for sp in (ex.spectrum_gaussian, ex.spectrum_orthogonal):
        t3.add_row(f"JJᵀ eigenvalues ({sp.weights}), depth {len(sp.q)}",
                   f"mean {sp.mean:.4g}, variance {sp.variance:.4g}")
    if ex.transform is not None:
        t3.add_row("critical transform (q*=1, sigma_w=1, sigma_b=0)", ex.transform["activation"])
    out.append(t3)
    lw = ex.layerwise
    t4 = Table(title=f"{ex.network}, layer by layer from q0 = 1: q = E h², gradient ratio "
                     "||δˡ|| / ||δᴸ||")
    for col in ("layer", "q", "chi", "grad norm ratio"):
        t4.add_column(col, justify="right")
    step = max(1, len(lw.q) // 10)
    for i in list(range(0, len(lw.q), step)) + ([len(lw.q) - 1] if (len(lw.q) - 1) % step else []):
        t4.add_row(str(i + 1), f"{lw.q[i]:.5g}", f"{lw.chi[i]:.5g}", f"{lw.grad_norm_ratio[i]:.4g}")
    out.append(t4)
    if ex.shaped is not None:
        t5 = Table(title=f"{ex.shaped['method'].upper()} transform of {ex.activation} for an "
                         f"MLP of depth {len(lw.q)}")
        t5.add_column("quantity")
        t5.add_column("value")
        for name, value in ex.shaped["rows"].items():
            t5.add_row(name, value)
        out.append(t5)
    return out


def register(app: typer.Typer) -> None:
    @app.command("explain")
    def explain_cmd(
        act: Annotated[str, typer.Argument(help="Activation name, e.g. tanh.")],
        scale: Annotated[float | None, typer.Option(
            "--scale", help="n in phi(n x): show the Q&A's thresholds of the scaled "
            "function (default: none).")] = None,
        sigma_w: Annotated[float | None, typer.Option(
            "--sigma-w", help="Weight std (default: critical at --sigma-b).")] = None,
        sigma_b: Annotated[float, typer.Option(
            "--sigma-b", help="Bias std (default √0.05, the study's point).")] = 0.05**0.5,
        depth: Annotated[int, typer.Option("--depth", help="Depth L (and the Q&A's K).")] = 50,
        residual: Annotated[bool, typer.Option(
            "--residual", help="Layers 2..L as residual blocks h + alpha (W phi(h) + b).")] = False,
        alpha: Annotated[float, typer.Option(
            "--alpha", help="Residual branch scale (default 1; 1/sqrt(L) keeps the gain "
            "bounded, Hayou et al. 2021).")] = 1.0,
        layernorm: Annotated[bool, typer.Option(
            "--layernorm", help="Pre-LayerNorm on residual branches: phi(LN(h)).")] = False,
        out: Annotated[Path | None, typer.Option(
            "--out", help="Folder for the figures (default explain-ACT).")] = None,
        transform: Annotated[str | None, typer.Option(
            "--transform", help="dks or tat: the depth-aware transform of ACT for --depth "
            "layers (Martens et al. 2021; Zhang et al. 2022).")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Explain how signals and gradients propagate through deep nets of ACT."""
        from depthscope.theory import explain, figures

        folder = output_folder(out or Path(f"explain-{act}"), "--out")
        ex = explain.explain(act, scale=scale, sigma_w=sigma_w, sigma_b=sigma_b, depth=depth,
                             residual=residual, alpha=alpha, layernorm=layernorm,
                             transform=transform)
        paths = [
            *([] if ex.thresholds is None else
              [figures.slope_figure(act, ex.thresholds, folder / "slope.png")]),
            figures.qmap_figure(act, ex.sigma_w, ex.sigma_b, folder / "qmap.png"),
            figures.chi1_figure(act, ex.sigma_b, ex.critical_sigma_w, folder / "chi1.png"),
            figures.phase_figure(act, folder / "edge_of_chaos.png",
                                 point=(ex.sigma_w, ex.sigma_b)),
        ]
        if as_json:
            print_json({"explanation": ex, "figures": [str(p) for p in paths]})
            return
        console.print(safe(ex.summary), highlight=False)
        for table in _tables(ex):
            console.print(table)
        console.print("figures: " + ", ".join(safe(p) for p in paths), highlight=False)
