"""Shared CLI plumbing: error reporting, JSON output and the rich console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

from depthscope.errors import DepthscopeError
from depthscope.jsonable import json_document

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


def print_json(value: Any) -> None:
    """Exactly one JSON document on stdout: an object for one item, a list of objects for
    several; in each object a ``"nonfinite"`` map (path → ``"inf"``/``"-inf"``/``"nan"``)
    says which ``null`` numbers were not finite."""
    doc = [json_document(v) for v in value] if isinstance(value, list) else json_document(value)
    sys.stdout.write(json.dumps(doc, indent=2, allow_nan=False) + "\n")
