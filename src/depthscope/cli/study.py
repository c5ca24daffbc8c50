"""``depthscope study``: check every claim of the seeds and write the HTML report."""

from __future__ import annotations

from pathlib import Path

import typer

from depthscope.cli.common import console, fail, print_json

DEFAULT_OUT = Path("depthscope-results") / "study"


def register(app: typer.Typer) -> None:
    @app.command()
    def study(
        profile: str = typer.Option("quick", help="quick (≈10 min on 2 cores), full or test."),
        ray: bool = typer.Option(False, "--ray", help="Train the sweeps on a local Ray cluster."),
        out: Path = typer.Option(DEFAULT_OUT, help="Where report.html, figures/ and "
                                 "verdicts.json go."),
        store: Path = typer.Option(None, help="SQLite results store (default: results.sqlite "
                                   "next to OUT); a rerun resumes from it."),
        device: str = typer.Option("cpu", help="cpu or cuda."),
        claim: list[str] = typer.Option(None, "--claim", help="Only these claim ids "
                                        "(repeatable), e.g. --claim 3 --claim glorot."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
    ) -> None:
        """Check every claim of the seeds by theory and experiment; write an HTML report."""
        from depthscope.study import Context, get_profile, run_study
        from depthscope.sweep.run import check_device

        if device not in ("cpu", "cuda"):
            fail(f"unknown device {device!r}; use cpu or cuda")
        check_device(device, "ray" if ray else "local")
        ctx = Context(profile=get_profile(profile), out_dir=out,
                      store_path=store or out.parent / "results.sqlite", device=device,
                      executor="ray" if ray else "local", progress=not json_out)
        results, paths = run_study(ctx, only=claim or None)
        if json_out:
            print_json({"report": str(paths["report"]), "verdicts": str(paths["verdicts"]),
                        "setup": paths["setup"],
                        "claims": [{"id": r.id, "verdict": r.verdict, "why": r.why}
                                   for r in results]})
            return
        from rich.markup import escape
        from rich.table import Table

        table = Table(title="depthscope study: verdicts")
        for column in ("claim", "verdict", "why"):
            table.add_column(column, overflow="fold")
        for r in results:
            table.add_row(escape(r.id), escape(r.verdict), escape(r.why))
        console.print(table)
        console.print(f"report: {escape(str(paths['report']))}", highlight=False)
