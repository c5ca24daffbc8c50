"""Shared CLI plumbing: error reporting, JSON output and the rich console."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
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


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to standard output inside the block to standard error, at the
    descriptor level (libraries, Ray's log lines, child processes): a ``--json`` command's
    stdout then holds exactly its one document."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def safe(value: object) -> str:
    """``value`` as text that Rich prints verbatim (its markup escaped): every piece of user
    text (names, labels, paths, messages) goes through this before a Rich markup string or a
    table cell."""
    from rich.markup import escape

    return escape(str(value))


def error_line(message: object) -> None:
    """Print ``error: message`` (one line, the message verbatim) on stderr."""
    err_console.print(f"[bold red]error:[/] {safe(message)}", highlight=False, soft_wrap=True)


def fail(message: str) -> None:
    """Print ``error: message`` (one line) on stderr and exit with status 2."""
    error_line(message)
    raise typer.Exit(2)


def _no_file_in_the_way(path: Path, what: str, folder: Path | None = None) -> None:
    """The nearest existing place at or above ``folder`` (default ``path``) must be a folder."""
    for place in (folder or path, *(folder or path).parents):
        if place.exists():
            if not place.is_dir():
                fail(f"{what} '{path}': '{place}' is a file, not a folder; choose another path")
            return


def output_folder(path: Path, what: str) -> Path:
    """A folder the command may create or fill: not an existing file, nothing in the way."""
    if path.exists() and not path.is_dir():
        fail(f"{what} '{path}' is an existing file; name a folder")
    _no_file_in_the_way(path, what)
    return path


def output_file(path: Path | str, what: str, *, figure: bool = False) -> Path:
    """A file the command may write: not a folder, nothing in the way, and for a figure a
    format matplotlib writes (from the suffix)."""
    path = Path(path)
    if path.is_dir() or (str(path).endswith(("/", ".")) and not path.suffix):
        fail(f"{what} '{path}' is a folder; name a file, e.g. '{path / 'figure.png'}'")
    if figure:
        from matplotlib.figure import Figure

        formats = Figure().canvas.get_supported_filetypes()
        if path.suffix.lower().lstrip(".") not in formats:
            fail(f"{what} '{path}': matplotlib cannot write '{path.suffix or 'no suffix'}'; "
                 f"use one of {', '.join('.' + f for f in sorted(formats))}")
    _no_file_in_the_way(path, what, path.parent)
    return path


def _is(err: BaseException, name: str) -> bool:
    """Whether ``err`` is a Click exception called ``name`` (Typer vendors its own Click, so
    the class is matched by name along its MRO, not imported)."""
    return any(kind.__name__ == name for kind in type(err).__mro__)


def run_app(app: Callable[..., Any]) -> None:
    """Run a typer app: library input errors, bad paths and Click's own usage errors become
    one ``error: …`` line and exit status 2 (no traceback, no box)."""
    try:
        code = app(standalone_mode=False)
    except (DepthscopeError, FileNotFoundError, FileExistsError, NotADirectoryError,
            IsADirectoryError, PermissionError) as err:
        error_line(err)
        sys.exit(2)
    except Exception as err:
        if _is(err, "NoArgsIsHelpError"):
            err.show()  # type: ignore[attr-defined]  # the help, as Click prints it
            sys.exit(2)
        if not _is(err, "UsageError"):
            raise
        ctx = getattr(err, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        error_line(err.format_message().replace("\n", " ") + hint)  # type: ignore[attr-defined]
        sys.exit(2)
    except KeyboardInterrupt:
        error_line("interrupted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def print_json(value: Any) -> None:
    """Exactly one JSON document on stdout: an object for one item, a list of objects for
    several; in each object a ``"nonfinite"`` map (path → ``"inf"``/``"-inf"``/``"nan"``)
    says which ``null`` numbers were not finite."""
    doc = [json_document(v) for v in value] if isinstance(value, list) else json_document(value)
    sys.stdout.write(json.dumps(doc, indent=2, allow_nan=False) + "\n")
