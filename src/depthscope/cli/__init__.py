"""The ``depthscope`` command line: one module per subcommand, each ``register(app)``.

Subcommand modules only parse arguments, call the library and print; every
:class:`~depthscope.errors.DepthscopeError` becomes ``error: ...`` on stderr with exit status 2.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from depthscope import __version__
from depthscope.cli.common import run_app

app = typer.Typer(
    name="depthscope",
    help="Understand, measure and fix vanishing and exploding gradients.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"depthscope {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Understand, measure and fix vanishing and exploding gradients."""


def _register_subcommands() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "common":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(app)


_register_subcommands()


def main() -> None:
    """Console-script entry point."""
    run_app(app)
