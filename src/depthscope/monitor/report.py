"""Tables and DataFrames of a :class:`~depthscope.monitor.record.Record`."""

from __future__ import annotations

from typing import Any

import numpy as np

from depthscope.errors import DepthscopeError
from depthscope.monitor.diagnose import Finding
from depthscope.monitor.gradstats import STATS
from depthscope.monitor.probes import PROBE_STATS
from depthscope.monitor.record import Record

COLOURS = {"alarm": "bold red", "warning": "yellow", "info": "cyan"}


def _fmt(value: float, spec: str = ".2e") -> str:
    if value is None or np.ma.is_masked(value) or not np.isfinite(value):
        return "—" if value is None or np.ma.is_masked(value) else str(float(value))
    return f"{float(value):{spec}}"


def summary(record: Record, findings: list[Finding], console: Any = None) -> str:
    """Print one row per layer (latest, median and max norm; peak |g|; zero share; first
    nan/inf step) and the findings; returns the printed text."""
    from rich.console import Console, Group
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"depthscope: gradients over {record.n_steps} steps "
                        f"({record.steps.size} recorded)")
    for col in ("layer", "act", "norm", "median", "max", "max |g|", "zeros", "nan/inf"):
        table.add_column(col, justify="left" if col in ("layer", "act") else "right",
                         no_wrap=True)
    norms = record.norms()
    with np.errstate(all="ignore"):
        peak = np.nanmax(np.where(np.isnan(record.stat("max_abs")), -np.inf,
                                  record.stat("max_abs")), axis=0, initial=-np.inf)
    for j, info in enumerate(record.layers):
        col = norms[:, j]
        last = col[-1] if col.size else None
        zero = record.stat("zero_frac")[:, j]
        zero = zero[~np.isnan(zero)]
        seen = col.count() > 0
        table.add_row(
            info.name, info.activation.label if info.activation else "", _fmt(last),
            _fmt(np.ma.median(col)) if seen else "—", _fmt(col.max()) if seen else "—",
            _fmt(peak[j]) if np.isfinite(peak[j]) else "—",
            _fmt(zero[-1], ".2f") if zero.size else "—",
            str(record.first_nonfinite.get(j, "")),
        )
    lines = [f"[{COLOURS[f.severity]}]{f.severity.upper()}[/] {f.message}\n   fix: {f.fix}"
             for f in findings] or ["[green]no gradient problems found[/]"]
    with console.capture() as capture:
        console.print(Group(table, *lines), soft_wrap=True)
    text = capture.get()
    console.print(Group(table, *lines), soft_wrap=True)
    return text


def to_dataframe(record: Record, kind: str = "gradients") -> Any:
    """Long format: ``step, layer, <stats>`` (``kind="activations"``: the probes)."""
    import pandas as pd

    if kind == "gradients":
        names, steps, rows, stats = [i.name for i in record.layers], record.steps, \
            record.grads, STATS
    elif kind == "activations":
        names, steps, rows, stats = record.probe_names, record.probe_steps, record.probes, \
            PROBE_STATS
    else:
        raise DepthscopeError(f"kind must be 'gradients' or 'activations', got {kind!r}")
    n, m = rows.shape[:2] if rows.ndim == 3 else (0, len(names))
    frame = pd.DataFrame(rows.reshape(n * m, len(stats)) if n else
                         np.zeros((0, len(stats))), columns=list(stats))
    frame.insert(0, "layer", np.tile(np.asarray(names, dtype=object), n))
    frame.insert(0, "step", np.repeat(steps, m))
    if kind == "gradients":
        frame["has_grad"] = frame["has_grad"].astype(bool)
    return frame
