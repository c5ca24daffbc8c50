"""``depthscope sweep SPEC``: train a grid of deep nets and print which ones trained."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from depthscope.cli.common import (
    DeviceOption,
    JsonFlag,
    console,
    err_console,
    fail,
    output_file,
    print_json,
    safe,
    stdout_to_stderr,
)
from depthscope.store.sqlite import DEFAULT_PATH

if TYPE_CHECKING:
    import pandas as pd


def _table(table: pd.DataFrame, margin: float) -> Table:
    """Rows = activation, columns = depth, cell = trainable runs / runs (median best val); the
    caption names the rule (the study's where a depth-1 net gives the reference)."""
    rules = set(table["rule"])
    notes = []
    if rules & {"protocol", "mixed"}:
        notes.append("trainable: 2·correct ≥ chance + the depth-1 median (test split; the "
                     "study's rule)")
    if rules & {"margin", "mixed"}:
        notes.append(f"* no depth-1 net of that kind in the sweep: best val ≥ chance + "
                     f"{margin:g}·(1 − chance) instead")
    out = Table(title="trainable runs per activation × depth", caption="\n".join(notes))
    depths = sorted(table["depth"].unique())
    out.add_column("activation")
    for depth in depths:
        out.add_column(f"depth {depth}", justify="center")
    for label, rows in table.groupby("label", sort=True):
        cells = dict.fromkeys(depths, "")
        for row in rows.itertuples():
            mark, colour = ("✓", "green") if row.fraction >= 0.5 else ("✗", "red")
            star = "" if row.rule == "protocol" else "*"
            cells[row.depth] = (f"[{colour}]{mark} {row.trainable}/{row.runs}{star}[/] "
                                f"({row.median_best_val:.2f})")
        out.add_row(safe(label), *cells.values())
    return out


def register(app: typer.Typer) -> None:
    @app.command("sweep")
    def sweep(
        spec: Annotated[Path, typer.Argument(help="Sweep spec (.yaml, .yml or .toml).")],
        ray: Annotated[bool, typer.Option(
            "--ray", help="Run on a local Ray cluster bound to 127.0.0.1.")] = False,
        ray_address: Annotated[str | None, typer.Option(
            "--ray-address", help="Join an existing Ray cluster at this address.")] = None,
        store: Annotated[Path, typer.Option("--store", help="SQLite results store.")]
        = DEFAULT_PATH,
        device: DeviceOption = "cpu",
        max_batch: Annotated[int, typer.Option(
            "--max-batch", help="Most runs trained at once in one ensemble.")] = 32,
        workers: Annotated[int, typer.Option(
            "--workers", min=1, help="Local training processes (one torch thread each when "
            "more than 1).")] = 1,
        margin: Annotated[float | None, typer.Option(
            "--margin", help="Trainable: best val acc ≥ chance + margin·(1 − chance) "
                             "[default: depthscope.sweep.MARGIN = 0.5].")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Train every run of SPEC not yet in the store; print trainability per depth."""
        from depthscope.sweep import MARGIN, run_sweep, trainability

        margin = MARGIN if margin is None else margin
        if not 0.0 < margin < 1.0:  # nan fails too
            fail(f"--margin must be between 0 and 1 (a share of the gap from chance to "
                 f"perfect), got {margin:g}")
        output_file(store, "--store")
        try:
            with stdout_to_stderr() if as_json else nullcontext():
                runs = run_sweep(spec, store=store,
                                 executor="ray" if ray or ray_address else "local",
                                 ray_address=ray_address, device=device, max_batch=max_batch,
                                 workers=workers)
        except KeyboardInterrupt:
            err_console.print(f"interrupted: finished batches are kept in {safe(store)}; "
                              "run the same command again to resume")
            raise typer.Exit(130) from None
        table = trainability(runs, margin)
        info = runs.attrs["sweep"] | {"store": str(store), "margin": margin}
        if as_json:
            print_json({"sweep": info, "trainability": table.to_dict(orient="records")})
            return
        console.print(f"{safe(info['name'])}: {info['runs']} runs ({info['skipped']} already "
                      f"stored, {info['trained']} trained in {info['seconds']:.1f} s) → "
                      f"{safe(store)}", highlight=False)
        console.print(_table(table, margin))
