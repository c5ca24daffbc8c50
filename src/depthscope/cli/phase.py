"""``depthscope phase ACT``: the (sigma_w, sigma_b) phase diagram with trainable depth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depthscope.cli.common import JsonFlag, console, output_file, print_json, safe


def register(app: typer.Typer) -> None:
    @app.command("phase")
    def phase_cmd(
        act: Annotated[str, typer.Argument(help="Activation name, e.g. tanh.")],
        out: Annotated[Path | None, typer.Option(
            "--out", help="PNG to write (default phase-ACT.png).")] = None,
        sigma_w_max: Annotated[float, typer.Option("--sigma-w-max")] = 4.0,
        sigma_b_max: Annotated[float, typer.Option("--sigma-b-max")] = 2.0,
        points: Annotated[int, typer.Option("--points", help="Grid points per axis.")] = 100,
        exact: Annotated[bool, typer.Option(
            "--exact", help="c* and q* exact at every point (~4 ms per chaotic point on a "
            "2-core Xeon); default: the fast table (c* to ~3e-3), enough for the map.")] = False,
        as_json: JsonFlag = False,
    ) -> None:
        """Heat map of predicted trainable depth 6·xi_c over (sigma_w, sigma_b)."""
        import numpy as np

        from depthscope.errors import DepthscopeError
        from depthscope.theory import edge_of_chaos, phase_diagram
        from depthscope.theory.figures import phase_figure

        if points < 2 or sigma_w_max <= 0 or sigma_b_max < 0:
            raise DepthscopeError("--points must be >= 2, --sigma-w-max > 0, --sigma-b-max >= 0")
        figure = output_file(out or Path(f"phase-{act}.png"), "--out", figure=True)
        diagram = phase_diagram(act, np.linspace(sigma_w_max / points, sigma_w_max, points),
                                np.linspace(0.0, sigma_b_max, points), exact=exact)
        path = phase_figure(act, figure, diagram)
        if as_json:
            edge = edge_of_chaos(act, diagram.sigma_b)
            print_json({"activation": act, "figure": str(path), "exact": exact,
                        "diagram": diagram, "edge_of_chaos": edge})
            return
        from rich.table import Table

        table = Table(title=f"{act}: {points}×{points} grid, sigma_w ≤ {sigma_w_max:g}, "
                            f"sigma_b ≤ {sigma_b_max:g}")
        table.add_column("phase")
        table.add_column("grid points", justify="right")
        table.add_column("share", justify="right")
        rows = [(p, int(np.sum(diagram.phase == p))) for p in ("ordered", "critical", "chaotic")]
        rows.append(("no fixed point (q grows without bound; also counted above)",
                     int(np.sum(~diagram.exists))))
        for name, count in rows:
            table.add_row(name, str(count), f"{count / points**2:.1%}")
        console.print(table)
        console.print(f"figure: {safe(path)}", highlight=False)
