"""``depthscope export``: write the store's runs and series as CSV or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from depthscope.cli.common import JsonFlag, console, output_folder, print_json, safe
from depthscope.store.sqlite import DEFAULT_PATH


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
        out: Annotated[Path, typer.Option("--out", help="Output folder.")]
        = Path("depthscope-export"),
        store: Annotated[Path, typer.Option("--store", help="SQLite results store.")]
        = DEFAULT_PATH,
        as_json: JsonFlag = False,
    ) -> None:
        """Write runs.<format> and series.<format> under --out."""
        from depthscope.store import export as export_store

        output_folder(out, "--out")
        kind: Literal["csv", "parquet"] = fmt  # type: ignore[assignment]  (checked by export)
        paths = export_store(store, out, fmt=kind)
        if as_json:
            print_json({"files": [str(p) for p in paths]})
            return
        for path in paths:
            console.print(f"wrote {safe(path)} ({path.stat().st_size:,} bytes)", highlight=False)
