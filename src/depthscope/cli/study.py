"""``depthscope study``: check every claim of the seeds and write the HTML report."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from depthscope.cli.common import (
    DeviceOption,
    JsonFlag,
    console,
    fail,
    output_file,
    output_folder,
    print_json,
    safe,
    stdout_to_stderr,
)

DEFAULT_OUT = Path("depthscope-results") / "study"


def register(app: typer.Typer) -> None:
    @app.command()
    def study(
        profile: Annotated[str, typer.Option(
            help="quick (3-8 min on 2 cores), full (big machine / Ray) or test (tiny).")
        ] = "quick",
        ray: Annotated[bool, typer.Option(
            "--ray", help="Train the sweeps on a local Ray cluster.")] = False,
        out: Annotated[Path, typer.Option(
            help="Where report.html, figures/ and verdicts.json go.")] = DEFAULT_OUT,
        store: Annotated[Path | None, typer.Option(
            help="SQLite results store (default: results.sqlite next to OUT); a rerun "
            "resumes from it.")] = None,
        device: DeviceOption = "cpu",
        claim: Annotated[list[str] | None, typer.Option(
            "--claim", help="Only these claim ids (repeatable), e.g. --claim 3.")] = None,
        workers: Annotated[int | None, typer.Option(
            "--workers", min=1, help="Training processes [default: one per CPU].")] = None,
        train_threads: Annotated[int | None, typer.Option(
            "--train-threads", min=1, help="Torch threads per training process [default: the "
            "profile's, 1]; numbers depend on it.")] = None,
        json_out: JsonFlag = False,
    ) -> None:
        """Check every claim of the seeds by theory and experiment; write an HTML report."""
        from depthscope.study import Context, get_profile, run_study
        from depthscope.study.runner import failures
        from depthscope.sweep.run import check_device

        output_folder(out, "--out")
        if store is not None:
            output_file(store, "--store")
        if device not in ("cpu", "cuda"):
            fail(f"unknown device {device!r}; use cpu or cuda")
        check_device(device, "ray" if ray else "local")
        chosen = get_profile(profile)
        if train_threads is not None:
            chosen = chosen.model_copy(update={"train_threads": train_threads})
        ctx = Context(profile=chosen, out_dir=out,
                      store_path=store or out.parent / "results.sqlite", device=device,
                      executor="ray" if ray else "local", progress=not json_out,
                      workers=workers)
        with stdout_to_stderr() if json_out else nullcontext():
            results, paths = run_study(ctx, only=claim or None)
        failed = failures(results)
        if json_out:
            print_json({"report": str(paths["report"]), "verdicts": str(paths["verdicts"]),
                        "setup": paths["setup"],
                        "claims": [{"id": r.id, "verdict": r.verdict, "why": r.why}
                                   for r in results]})
            _exit_on(failed)
            return
        from rich.table import Table

        setup = paths["setup"]
        if setup.get("caveat"):
            console.print(f"[bold red]{safe(setup['caveat'])}[/]")
        table = Table(title="depthscope study: verdicts (reasons in the report)")
        for column in ("claim", "verdict", "key number (95 % interval)"):
            table.add_column(column, overflow="fold")
        for r in results:
            table.add_row(safe(f"{r.id}: {r.claim}"), safe(r.verdict), safe(r.key))
        console.print(table)
        console.print(f"report: {safe(paths['report'])}", highlight=False)
        console.print(f"study time: {setup['wall time (s)']:.0f} s on {safe(setup['CPU'])} "
                      f"({safe(setup['CPU capability (torch)'])}; training: "
                      f"{safe(setup['training'])})", highlight=False, soft_wrap=True)
        _exit_on(failed)


def _exit_on(failed: list) -> None:
    """Exit 1 with one line per claim whose check raised (the report is written first)."""
    if not failed:
        return
    import sys

    for r in failed:
        print(f"error: claim {r.id} failed: {r.why}", file=sys.stderr)
    raise typer.Exit(1)
