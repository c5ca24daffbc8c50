"""How right ``depthscope study --plan`` is: plan a profile, then run it, on this machine.

The plan (runs, training time, each worker's one-off set-up) is made first, in this
process; then ``depthscope study --profile P`` runs in a fresh store and the store's batches
are compared with it: runs trained against the plan's always-trained runs and upper bound,
the time model's prediction for the batches that trained against their measured training
seconds (kernel builds and set-up apart), the predicted set-up per worker against the
measured one, and the predicted training wall time against the study's training sections
(their seconds include each section's analysis and figures: an upper bound on training).
Run: ``python -m benchmarks.plan [--profile test]`` (``quick`` takes ~7 minutes here).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from depthscope.provenance import cpu_model
from depthscope.study import Context, get_profile
from depthscope.study.claims import all_claims
from depthscope.study.plan import plan_study, trained_batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "study"
        ctx = Context(get_profile(args.profile), out, Path(tmp) / "results.sqlite")
        planned = plan_study(ctx)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "depthscope", "study", "--profile",
                        args.profile, "--out", str(out), "--json"], check=True,
                       capture_output=True)
        study_seconds = time.perf_counter() - start
        batches = trained_batches(Path(tmp) / "results.sqlite")
        verdicts = json.loads((out / "verdicts.json").read_text())
    training = {c.info.id for c in all_claims() if c.info.trains}
    sections = sum(c["seconds"] for c in verdicts["claims"] if c["id"] in training)
    runs = sum(len(b.configs) for b in batches)
    cal = planned.calibration
    predicted = sum(cal.batch_seconds(b.configs) for b in batches)
    measured = sum(b.training_seconds for b in batches)
    setup = sum(b.kernel_seconds + b.setup_seconds for b in batches) / planned.workers
    table = Table(title=f"study --plan against the run, profile {args.profile}, "
                        f"{cpu_model()} ({torch.backends.cpu.get_cpu_capability()}), "
                        f"{planned.workers} workers × {planned.threads} thread(s)")
    for column in ("quantity", "plan", "run", "plan / run"):
        table.add_column(column, justify="left" if column == "quantity" else "right")
    table.add_row("runs trained", f"{planned.runs} (+ at most {planned.optional_runs})",
                  str(runs), "—")
    table.add_row("training seconds of the batches that ran", f"{predicted:.1f}",
                  f"{measured:.1f}", f"{predicted / measured:.2f}")
    table.add_row("set-up per worker (kernels, imports, data), s",
                  f"{cal.worker_seconds:.1f}", f"{setup:.1f}",
                  f"{cal.worker_seconds / setup:.2f}")
    table.add_row("training wall time, s (run: the training sections' seconds)",
                  f"{planned.wall(planned.workers):.0f}–"
                  f"{planned.wall(planned.workers, optional=True):.0f}", f"{sections:.0f}",
                  "—")
    table.add_row("whole study, s (the plan leaves out the sections that do not train)",
                  "—", f"{study_seconds:.0f}", "—")
    Console().print(table)


if __name__ == "__main__":
    main()
