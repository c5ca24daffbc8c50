"""``depthscope runs``: list the runs in a results store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from depthscope.cli.common import console, print_json
from depthscope.store.sqlite import DEFAULT_PATH

_COLUMNS = {"run_id": "run", "status": "status", "dataset": "data", "label": "activation",
            "depth": "depth", "width": "width", "init": "init", "lr": "lr", "seed": "seed",
            "best_val_accuracy": "best val"}
TABLE_LIMIT = 50


def _cell(value: object) -> str:
    if value is None or value != value:  # None or NaN
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def register(app: typer.Typer) -> None:
    @app.command("runs")
    def runs(
        store: Annotated[Path, typer.Option("--store", help="SQLite results store.")]
        = DEFAULT_PATH,
        status: Annotated[list[str] | None, typer.Option(
            "--status", help="Only runs with this status (repeatable).")] = None,
        limit: Annotated[int | None, typer.Option(
            "--limit", help=f"Show the last N runs (table default {TABLE_LIMIT}, JSON default "
                            "all; 0 = all).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
        = False,
    ) -> None:
        """List stored runs: config, status and best validation accuracy."""
        from depthscope.store import load

        frame = load(store, status=status, series=False).runs
        total = len(frame)
        limit = (None if as_json else TABLE_LIMIT) if limit is None else limit
        if limit:
            frame = frame.tail(limit)
        if as_json:
            records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
            print_json({"store": str(store), "total": total, "runs": records})
            return
        table = Table(title=f"{total} runs in {store}", box=box.SIMPLE_HEAD)
        shown = [c for c in _COLUMNS if c in frame.columns]
        for column in shown:
            table.add_column(_COLUMNS[column], overflow="fold")
        for row in frame[shown].itertuples(index=False):
            table.add_row(*map(_cell, row))
        console.print(table)
        if len(frame) < total:
            console.print(f"(last {len(frame)} of {total}; --limit 0 shows all)")
