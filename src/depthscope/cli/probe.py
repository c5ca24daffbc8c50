"""``depthscope probe MODULE:FACTORY --input-shape 8,3,32,32``: signal propagation of a model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depthscope.cli.common import JsonFlag, output_file, print_json
from depthscope.errors import DepthscopeError


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        shape = ()
    if not shape or any(n < 1 for n in shape):
        raise DepthscopeError(f"--input-shape takes positive integers separated by commas, "
                              f"e.g. 8,3,32,32; got {text!r}")
    return shape


def register(app: typer.Typer) -> None:
    @app.command("probe")
    def probe_cmd(
        target: Annotated[str, typer.Argument(
            help="The model: pkg.module:factory or file.py:factory (a function returning an "
            "nn.Module, or a module instance).")],
        input_shape: Annotated[str, typer.Option(
            "--input-shape", help="Shape of the N(0, 1) input batch, e.g. 8,3,32,32.")],
        samples: Annotated[int, typer.Option(
            "--samples", help="Random output projections for the APJN.")] = 8,
        seed: Annotated[int, typer.Option("--seed", help="Seed of inputs and projections.")] = 0,
        plot: Annotated[Path | None, typer.Option(
            "--plot", help="Save the signal-propagation figure here (.png, .pdf, .svg).")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        """Measure how signals and gradients propagate through a model at its init."""
        import torch

        from depthscope.probing import probe
        from depthscope.probing.load import load_model

        if plot is not None:
            output_file(plot, "--plot", figure=True)
        shape = _shape(input_shape)
        model = load_model(target)
        first = next(model.parameters(), None)
        dtype = first.dtype if first is not None and first.is_floating_point() else None
        x = torch.randn(shape, generator=torch.Generator().manual_seed(seed),
                        dtype=dtype or torch.float32)
        report = probe(model, x, samples=samples, seed=seed)
        if plot is not None:
            report.plot(plot)
        if as_json:
            print_json({"report": report, "plot": None if plot is None else str(plot)})
            return
        typer.echo(str(report))
