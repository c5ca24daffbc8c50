"""``depthscope runs``: list the runs in a results store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from depthscope.cli.common import JsonFlag, console, fail, print_json, safe
from depthscope.store.sqlite import DEFAULT_PATH

_CONFIG = ("dataset", "label", "depth", "width", "init", "sigma_w", "sigma_b", "optimizer", "lr",
           "batch_size", "steps", "seed")
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
            "--limit", min=0, help=f"Show the last N runs (table default {TABLE_LIMIT}, JSON "
                                   "default all; 0 = all).")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """List stored runs: config, status and best validation accuracy."""
        from depthscope.store import DONE, load

        for wanted in status or []:
            if wanted not in DONE:
                fail(f"--status {wanted!r}: stored runs are {' or '.join(DONE)}")

        frame = load(store, status=status, series=False).runs
        total = len(frame)
        limit = (None if as_json else TABLE_LIMIT) if limit is None else limit
        if limit:
            frame = frame.tail(limit)
        if as_json:
            records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
            for record in records:  # stored as JSON text for the DataFrame; an object here
                if isinstance(record.get("activation_params"), str):
                    record["activation_params"] = json.loads(record["activation_params"])
            print_json({"store": str(store), "total": total, "runs": records})
            return
        # config columns that vary are shown; the constant ones go in the caption
        config = [c for c in _CONFIG if c in frame.columns]
        varying = [c for c in config if frame[c].astype(str).nunique() > 1]
        fixed = ", ".join(f"{c}={_cell(frame[c].iloc[0]) or 'default'}" for c in config
                          if c not in varying)
        shown = ["run_id", "status", *varying, "best_val_accuracy"]
        table = Table(title=f"{total} runs in {store}", caption=fixed or None,
                      box=box.SIMPLE_HEAD)
        for column in shown:
            table.add_column(column, overflow="fold")
        for row in frame.reindex(columns=shown).itertuples(index=False):
            table.add_row(*(safe(_cell(v)) for v in row))
        console.print(table)
        if len(frame) < total:
            console.print(f"(last {len(frame)} of {total}; --limit 0 shows all)")
