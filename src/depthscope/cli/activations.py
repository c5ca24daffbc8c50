"""``depthscope activations [NAME] [--param k=v] [--plot out.png] [--json]``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import typer
from rich import box
from rich.table import Table

from depthscope.cli.common import JsonFlag, console, fail, output_file, print_json, safe

if TYPE_CHECKING:
    from depthscope.activations import Activation


def _params(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--param wants key=value, got {pair!r} (e.g. --param scale=2)")
        out[key.strip()] = value.strip()
    return out


def _describe(act: Activation, name: str) -> dict[str, Any]:
    from depthscope.activations.essay import printed_derivative
    from depthscope.activations.registry import family

    m = act.meta
    printed = printed_derivative(act)
    return {
        "name": name,
        "aliases": list(family(act.name).aliases) if act.is_affine_default else [],
        "formula": act.definition.formula,
        "bounded": m.bounded, "range": m.range, "odd": m.odd, "monotone": m.monotone,
        "value_at_0": m.value_at_0, "slope_at_0": m.slope_at_0,
        "max_slope": m.max_slope, "argmax_slope": m.argmax_slope,
        "tail_left": m.tail_left.describe(), "tail_right": m.tail_right.describe(),
        "kinks": m.kinks, "cusps": m.cusps,
        "essay_derivative": None if printed is None else {
            "printed": printed.printed, "correct": printed.correct, "note": printed.note,
        },
        "reference": act.definition.reference,
    }


def _short(tail: str) -> str:
    """A tail of ``|phi'|`` as a formula: ``e^-2|x|``, ``e^-0.5x²``, ``|x|^-1 log^-2|x|``."""
    rate = re.search(r"rate ([0-9.]+)", tail)
    if tail.startswith("exponential") and rate:
        return f"e^-{rate.group(1)}|x|"
    if tail.startswith("gaussian") and rate:
        return f"e^-{rate.group(1)}x²"
    if tail.startswith("power "):
        return tail.removeprefix("power ").replace(" log^-2", " log^-2|x|")
    return {"zero": "0", "constant": "const"}.get(tail, tail)


def _card(row: dict[str, Any]) -> None:
    """The one activation's formula (phi, phi', phi''), range, the essay's printed
    derivative where it has one, and the reference."""
    from rich.markup import escape

    lo, hi = row["range"]
    lines = [f"[bold]{escape(row['name'])}[/]: {escape(row['formula'])}",
             f"range ({lo:.6g}, {hi:.6g}); |phi'| decays as {_short(row['tail_left'])} as "
             f"x → -∞ and {_short(row['tail_right'])} as x → +∞"]
    if row["aliases"]:
        lines.append("also called " + ", ".join(row["aliases"]))
    essay = row["essay_derivative"]
    if essay is not None:
        verdict = "right" if essay["correct"] else "wrong"
        lines.append(f"the essay prints phi' = {escape(essay['printed'])} ({verdict}"
                     + (f": {escape(essay['note'])})" if essay["note"] else ")"))
    lines.append(f"reference: {escape(row['reference'])}")
    console.print("\n".join(lines), highlight=False)


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table(
        title="depthscope activations", box=box.SIMPLE_HEAD, padding=(0, 1),
        caption="shape: b bounded, o odd, m monotone; tails: how |phi'| decays as x → -∞ | +∞",
    )
    for col in ("name", "shape", "phi(0)", "phi'(0)", "max|phi'| (at x)", "tails -inf | +inf",
                "kinks"):
        left = col in ("name", "shape", "tails -inf | +inf")
        table.add_column(col, justify="left" if left else "right", no_wrap=col == "name")
    for r in rows:
        shape = "".join(c for c, k in zip("bom", ("bounded", "odd", "monotone"), strict=True)
                        if r[k]) or "-"
        table.add_row(
            safe(r["name"]), shape, f"{r['value_at_0']:.3g}", f"{r['slope_at_0']:.3g}",
            f"{r['max_slope']:.4g} ({r['argmax_slope']:.4g})",
            f"{_short(r['tail_left'])} | {_short(r['tail_right'])}",
            ", ".join(f"{p:g}" for p in (*r["kinks"], *r["cusps"])) or "-",
        )
    return table


def register(app: typer.Typer) -> None:
    @app.command("activations")
    def activations(
        name: str | None = typer.Argument(None, help="One activation (default: list all)."),
        param: list[str] = typer.Option(  # noqa: B008 - typer idiom
            [], "--param", "-p", help="Parameter key=value, e.g. --param scale=2 (repeatable)."
        ),
        plot: str | None = typer.Option(None, "--plot", help="Draw phi and phi' to this file."),
        json_out: JsonFlag = False,
    ) -> None:
        """List every activation with its metadata, or describe and plot one."""
        from depthscope.activations import get, names

        if name is None:
            if param or plot:
                fail("--param and --plot need an activation NAME (e.g. activations logsig)")
            rows = [_describe(get(n), n) for n in names()]
        else:
            params = _params(param)
            act = get(name, **params)
            rows = [_describe(act, act.label if params else name)]
            if plot:
                from depthscope.activations.plot import plot_activation

                plot = str(output_file(plot, "--plot", figure=True))

                written = plot_activation(act, plot)
                if not json_out:
                    console.print(f"wrote {safe(written)}", highlight=False)
        if json_out:
            print_json(rows if name is None else rows[0])
            return
        console.print(_table(rows))
        if name is not None:
            _card(rows[0])
