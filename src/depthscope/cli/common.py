"""Shared CLI plumbing: error reporting, JSON output and the rich console."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from typing import Annotated, Any

import typer
from rich.console import Console

from depthscope.errors import DepthscopeError

console = Console()

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")
]
DeviceOption = Annotated[str, typer.Option("--device", help="cpu or cuda.")]
err_console = Console(stderr=True)


def fail(message: str) -> None:
    """Print ``error: message`` (one line) on stderr and exit with status 2."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def run_app(app: Callable[[], Any]) -> None:
    """Run a typer app; library input errors become one line and exit status 2."""
    try:
        app()
    except (DepthscopeError, FileNotFoundError, PermissionError) as err:
        err_console.print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
        sys.exit(2)


def to_jsonable(value: Any) -> Any:
    """Dataclasses, NumPy scalars/arrays and non-finite floats as plain JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return to_jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def print_json(value: Any) -> None:
    """Exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2) + "\n")
