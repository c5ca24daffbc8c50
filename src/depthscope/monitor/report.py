"""Tables and DataFrames of a :class:`~depthscope.monitor.record.Record`."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from depthscope.errors import DepthscopeError
from depthscope.monitor.diagnose import Finding
from depthscope.monitor.gradstats import STATS
from depthscope.monitor.probes import PROBE_STATS
from depthscope.monitor.record import Record

COLOURS = {"alarm": "bold red", "warning": "yellow", "info": "cyan"}
HEADERS = {
    "module": "the module owning the parameters, in forward order (input first)",
    "act": "the activation its weights feed (what the theory's sigma_w refers to)",
    "‖g‖ last": "the layer's gradient norm at the last recorded step",
    "‖g‖ median": "median over the recorded steps (finite values)",
    "‖g‖ max": "largest over the recorded steps (finite values)",
    "max |g|": "largest single gradient entry seen",
    "zeros": "share of exactly-zero gradient entries at the last full reading",
    "‖Δθ‖/‖θ‖": "the optimizer's step relative to the layer's parameters at the last reading "
                "that measured it (about 1e-3 is typical of healthy training)",
    "first nan/inf": "the step at which the layer's gradient first held nan/inf",
    "last finite ‖g‖": "the layer's last finite norm and its step, kept beside the nan",
}


def _fmt(value: float | None, spec: str = ".3g") -> str:
    if value is None or np.ma.is_masked(value):
        return "—"
    return f"{float(value):{spec}}" if np.isfinite(value) else str(float(value))


def _finite(column: np.ndarray) -> np.ndarray:
    return column[np.isfinite(column)]


@dataclass(frozen=True)
class Summary:
    """A watch's per-layer table and findings. Printed by :meth:`Watch.summary` in a script;
    in IPython/Jupyter shown once through ``_repr_html_`` (or ``repr``) instead."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    findings: list[Finding]

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.markup import escape
        from rich.table import Table

        notes = "\n".join(f"{h}: {HEADERS[h]}" for h in self.headers)
        table = Table(title=self.title, caption=notes, caption_justify="left")
        for h in self.headers:
            table.add_column(h, justify="left" if h in ("module", "act") else "right",
                             no_wrap=True)
        for row in self.rows:
            table.add_row(*map(escape, row))
        lines = [f"[{COLOURS[f.severity]}]{f.severity.upper()}[/] {escape(f.message)}\n"
                 f"   fix: {escape(f.fix)}" for f in self.findings]
        return Group(table, *(lines or ["[green]no gradient problems found[/]"]))

    def print(self, console: Any = None) -> None:
        """Print to ``console`` (a rich ``Console``; default stdout), never cutting a cell:
        wider than the console when needed."""
        from rich.console import Console
        from rich.measure import Measurement

        console = console or Console()
        table = self.__rich__().renderables[0]
        wide = Measurement.get(console, console.options.update(width=10**4), table).maximum
        narrow = console.width
        console.width = max(narrow, wide)  # print() itself never goes past console.width
        try:
            console.print(self, soft_wrap=True)
        finally:
            console.width = narrow

    def __str__(self) -> str:
        from rich.console import Console

        console = Console(record=True, file=io.StringIO(), color_system=None)
        self.print(console)
        return console.export_text()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f'<th title="{html.escape(HEADERS[h])}">{html.escape(h)}</th>'
                       for h in self.headers)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                       for row in self.rows)
        items = "".join(f"<li><b>{f.severity}</b> {html.escape(f.message)}<br>fix: "
                        f"{html.escape(f.fix)}</li>" for f in self.findings)
        return (f"<p><b>{html.escape(self.title)}</b></p><table><tr>{head}</tr>{body}</table>"
                f"<ul>{items or '<li>no gradient problems found</li>'}</ul>")


def summary(record: Record, findings: list[Finding]) -> Summary:
    """One row per layer in forward order (see :data:`HEADERS`) and the findings."""
    headers = list(HEADERS)[:9] + (["last finite ‖g‖"] if record.first_nonfinite else [])
    norms = record.norms().filled(np.nan)
    max_abs, zeros = record.stat("max_abs"), record.stat("zero_frac")
    updates = record.stat("update_ratio")
    rows = []
    for j in record.ordered():
        info = record.layers[j]
        column, peak, zero = norms[:, j], _finite(max_abs[:, j]), _finite(zeros[:, j])
        update = _finite(updates[:, j])
        finite = _finite(column)
        row = [
            info.name, info.activation.label if info.activation else "",
            _fmt(column[-1] if column.size else None),
            _fmt(np.median(finite) if finite.size else None),
            _fmt(finite.max() if finite.size else None),
            _fmt(peak.max() if peak.size else None),
            _fmt(zero[-1] if zero.size else None, ".2f"),
            _fmt(update[-1] if update.size else None, ".2g"),
            str(record.first_nonfinite.get(j, "—")),
        ]
        if record.first_nonfinite:
            last = record.last_finite.get(j)
            row.append(f"{last[1]:.3g} (step {last[0]})" if last else "—")
        rows.append(row)
    title = (f"depthscope: gradients over {record.n_steps} optimizer steps "
             f"({record.steps.size} recorded)")
    return Summary(title, headers, rows, findings)


def to_dataframe(record: Record, kind: str = "gradients") -> Any:
    """Long format: ``step, layer, <stats>`` and the step's observed ``loss`` (nan where none
    was observed; ``kind="activations"``: the probes)."""
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
        frame["loss"] = np.repeat(record.loss, m) if record.loss.size == n else np.nan
    return frame
