"""``depthscope study``: check every claim of the seeds and write the HTML report."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:
    from depthscope.study import Context

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
        plan: Annotated[bool, typer.Option(
            "--plan", help="Train nothing: print the runs, FLOPs, memory and estimated time "
            "of every section on this machine (from a short calibration), per worker count."
        )] = False,
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
        if plan:
            if claim:
                fail("--plan plans the whole study; drop --claim")
            _print_plan(ctx, json_out)
            return
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


def _print_plan(ctx: Context, json_out: bool) -> None:
    """``study --plan``: the plan as tables (or JSON)."""
    from rich.table import Table

    from depthscope.study.plan import WORKER_COUNTS, plan_study, seconds_text, si_text

    if json_out:
        print_json(plan_study(ctx).to_json())
        return
    with console.status("recording the study's runs and timing a calibration on this "
                        "machine…"):
        planned = plan_study(ctx)
    w = planned.workers
    table = Table(title=f"depthscope study --profile {safe(planned.profile)} --plan: "
                        f"{planned.runs} runs, up to {planned.optional_runs} more",
                  caption="runs: trained whatever the results; +: at most, if results call "
                          "for them (lr extensions, boundary checks). Time: training only, on "
                          f"{w} worker(s) × {planned.threads} thread(s).",
                  caption_justify="left")
    for column in ("section", "runs", "+ at most", "batches", "FLOP", "memory / batch",
                   "time", "at most"):
        table.add_column(column, justify="left" if column == "section" else "right")
    for s in planned.sections:
        table.add_row(safe(s.section), str(s.runs), str(s.optional_runs), str(s.batches),
                      si_text(s.flop, "FLOP") if s.runs else "—", si_text(s.peak_bytes, "B"),
                      seconds_text(s.wall(w)) if s.runs else "—",
                      seconds_text(s.wall(w, optional=True)))
    console.print(table)
    cal = planned.calibration
    console.print(
        f"each worker first spends {cal.worker_seconds:.1f} s: imports "
        f"{cal.import_seconds:.1f} s, kernels of {len(cal.kernel_seconds)} activations "
        f"{sum(cal.kernel_seconds.values()):.1f} s (at the cache state found), data "
        f"{sum(cal.data_seconds.values()):.1f} s. Not estimated: the sections that do not "
        f"train (theory, sampling, timing). Calibration took {cal.seconds:.0f} s.",
        highlight=False)
    workers = Table(title="estimated training time by worker count (one core each; Ray "
                          "workers alike)")
    for column in ("workers", "time", "at most"):
        workers.add_column(column, justify="right")
    for n in sorted({*WORKER_COUNTS, w}):
        workers.add_row(f"{n}{' (this machine)' if n == w else ''}",
                        seconds_text(planned.wall(n)), seconds_text(planned.wall(n, True)))
    console.print(workers)


def _exit_on(failed: list) -> None:
    """Exit 1 with one line per claim whose check raised (the report is written first)."""
    if not failed:
        return
    import sys

    for r in failed:
        print(f"error: claim {r.id} failed: {r.why}", file=sys.stderr)
    raise typer.Exit(1)
