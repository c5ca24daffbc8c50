"""Run every claim check, never letting one failure hide the others, and write the report."""

from __future__ import annotations

import platform
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import torch

from depthscope import __version__
from depthscope.errors import DepthscopeError
from depthscope.study.claims import Claim, all_claims
from depthscope.study.context import Context
from depthscope.study.result import ClaimResult


def _failure(err: BaseException) -> tuple[str, str]:
    """``(verdict, one-line reason)``: a missing optional module is an expected, stated cause
    ("not evaluated"); anything else is a failure of the check ("failed")."""
    if isinstance(err, ImportError):
        name = getattr(err, "name", None) or str(err)
        return "not evaluated", f"it needs {name}, which is not available in this build."
    last = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
    where = f" (at {Path(last.filename).name}:{last.lineno})" if last else ""
    message = (str(err).strip().splitlines() or [""])[0][:200]
    return "failed", f"the check raised {type(err).__name__}: {message}{where}."


def check_claim(claim: Claim, ctx: Context) -> ClaimResult:
    """One claim's result; an error while building evidence gives "failed" (or "not
    evaluated" for a missing optional module) with a one-line reason."""
    start = time.perf_counter()
    try:
        result = claim.check(ctx)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as err:  # reported in the page and by the CLI's exit status
        result = claim.info.result(*_failure(err))
    result.seconds = round(time.perf_counter() - start, 2)
    return result


def failures(results: Sequence[ClaimResult]) -> list[ClaimResult]:
    """The claims whose check raised (``depthscope study`` exits non-zero on any)."""
    return [r for r in results if r.verdict == "failed"]


def _announce(i: int, n: int, result: ClaimResult) -> None:
    from rich.console import Console
    from rich.markup import escape

    colour = {"holds": "green", "holds with caveats": "yellow", "partly holds": "dark_orange",
              "does not hold": "red",
              "inconclusive": "cyan", "failed": "bold red"}.get(result.verdict, "dim")
    Console(stderr=True).print(
        f"[{i}/{n}] claim {escape(result.id)}: [{colour}]{escape(result.verdict)}[/] "
        f"({result.seconds:.1f} s)", highlight=False)


def setup_table(ctx: Context, seconds: float) -> dict[str, object]:
    """The run's set-up, shown at the top of the page and stored in ``verdicts.json``."""
    from depthscope.provenance import cpu_model, git_sha
    from depthscope.sweep.executors import default_workers

    p = ctx.profile
    workers = "Ray" if ctx.executor == "ray" else f"{ctx.workers or default_workers()} processes"
    return {
        **({"caveat": p.caveat} if p.caveat else {}),
        "profile": p.name,
        "depthscope version": __version__,
        "git commit": git_sha() or "unknown",
        "device": ctx.device,
        "CPU": cpu_model(),
        "CPU capability (torch)": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "training": f"{workers} × {p.train_threads} torch thread(s)",
        "CPU threads (torch, outside training)": ctx.threads or torch.get_num_threads(),
        "data sets (depth sweep)": ", ".join(p.datasets),
        "depths (hidden layers)": ", ".join(str(d) for d in p.depths),
        "width": p.width,
        "training steps": p.steps,
        "seeds": len(p.seeds),
        "wall time (s)": round(seconds, 1),
    }


def run_study(ctx: Context, only: Sequence[str] | None = None) -> tuple[list[ClaimResult], dict]:
    """Check every claim (or those in ``only``), write the report; return results and paths.

    Each claim of the seeds is decided by its own rule (``depthscope.study.rules``) from
    theory and from training runs stored in ``ctx.store_path`` (a rerun resumes); one
    claim's error never hides the others (its verdict reads "failed", with the reason).

    Args:
        ctx: the profile (``test``, ``quick``, ``full``), output folder, store, device and
            training processes.
        only: claim ids to check (default: all; e.g. ``["1", "schoenholz"]``).

    Returns:
        ``(results, paths)``: a :class:`ClaimResult` per claim (verdict, key number with its
        interval, evidence, seconds) and the set-up table with the paths of ``report``
        (HTML), ``verdicts`` (JSON) and ``figures``.

    Example:
        >>> import pathlib, tempfile
        >>> from depthscope import run_study
        >>> from depthscope.study.context import Context
        >>> from depthscope.study.profiles import get_profile
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> results, paths = run_study(Context(get_profile("test"), out, out / "r.sqlite"),
        ...                            only=["1", "2"])
        >>> [(r.id, r.verdict) for r in results], paths["report"].name
        ([('1', 'holds'), ('2', 'holds')], 'report.html')
    """
    from depthscope.report import write_report

    start = time.perf_counter()
    known = [c.info.id for c in all_claims()]
    unknown = sorted(set(only or ()) - set(known))
    if unknown:
        raise DepthscopeError(f"unknown claim id(s) {', '.join(unknown)}; known: "
                              f"{', '.join(known)}")
    claims = [c for c in all_claims() if only is None or c.info.id in only]
    results = []
    threads = torch.get_num_threads()
    if ctx.threads is not None:
        # The study's tensors are small: one thread avoids OpenMP overhead, which on a busy
        # 2-core machine made tiny float64 training loops ~18x slower with 2 threads.
        torch.set_num_threads(ctx.threads)
    try:
        for i, claim in enumerate(claims, 1):
            result = check_claim(claim, ctx)
            results.append(result)
            if ctx.progress:
                _announce(i, len(claims), result)
    finally:
        torch.set_num_threads(threads)
        ctx.close()
    setup = setup_table(ctx, time.perf_counter() - start)
    paths = write_report(results, ctx.out_dir, title="depthscope study: the seeds' claims, checked",
                         setup=setup)
    return results, {"setup": setup, **paths}
