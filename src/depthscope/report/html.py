"""The study report: one self-contained HTML page (figures embedded as base64 PNG).

No external resource (no script, font or stylesheet URL), so the page reads offline; every
string that comes from a claim, a config or a user is passed through :func:`html.escape`;
every number is formatted here from the :class:`~depthscope.study.result.ClaimResult`
values by :func:`fmt`.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence

from depthscope.study.result import VERDICTS, ClaimResult, Table
from depthscope.study.rules import provenance
from depthscope.study.stats import number_text

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f2f2f2} caption{caption-side:top;text-align:left;font-style:italic;
padding:.3em 0} figure{margin:1em 0} figure img{max-width:100%;height:auto}
figcaption{font-size:.9em;color:#444}
.verdict{font-weight:bold;padding:.1em .45em;border-radius:.3em;white-space:nowrap}
.v-holds{background:#d7f5dd} .v-holds-with-caveats{background:#fff1c2}
.v-partly-holds{background:#ffe3c2}
.v-does-not-hold{background:#ffd6d6} .v-not-evaluated{background:#e4e4e4}
.v-inconclusive{background:#d8e8ff} .v-failed{background:#c00;color:#fff}
.caveat{background:#ffd6d6;padding:.5em;font-weight:bold}
details{margin:.6em 0} summary{cursor:pointer;font-style:italic}
.meta{color:#555;font-size:.9em} dt{font-weight:bold;margin-top:.5em} dd{margin-left:1.2em}
"""


def fmt(value: object) -> str:
    """A table cell or number as text: 4 significant digits, ``inf``/``nan`` spelled out."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return number_text(value, 4)  # never "1" for 0.99999999, nor 15 digits
    if value is None:
        return "—"
    return str(value)


def _slug(verdict: str) -> str:
    return "v-" + verdict.replace(" ", "-")


def _verdict(verdict: str) -> str:
    return f'<span class="verdict {_slug(verdict)}">{html.escape(verdict)}</span>'


COLLAPSE_ROWS = 15  # longer tables are folded into a <details> element


def _table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(fmt(v))}</td>" for v in row) + "</tr>"
        for row in table.rows
    )
    page = (
        f"<table><caption>{html.escape(table.caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
    if len(table.rows) <= COLLAPSE_ROWS:
        return page
    return (f"<details><summary>{html.escape(table.caption)} ({len(table.rows)} rows)</summary>"
            f"{page}</details>")


def _section(result: ClaimResult) -> str:
    parts = [
        f'<section class="claim" id="claim-{html.escape(result.id)}">',
        f"<h2>Claim {html.escape(result.id)} {_verdict(result.verdict)}</h2>",
        f'<p class="meta">Source: {html.escape(result.source)}</p>',
        "<dl>",
        f"<dt>Claim</dt><dd>{html.escape(result.claim)}</dd>",
        f"<dt>Method</dt><dd>{html.escape(result.method)}</dd>",
        f"<dt>Verdict</dt><dd>{_verdict(result.verdict)} {html.escape(result.why)}</dd>",
        *([f"<dt>Rule ({html.escape(provenance(result.id).label)})</dt>"
           f"<dd>{html.escape(result.rule)}</dd>"] if result.rule else []),
        "</dl>",
    ]
    for fig in result.figures:
        data = base64.b64encode(fig.png).decode("ascii")
        parts.append(
            f'<figure class="figure"><img alt="{html.escape(fig.caption)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{html.escape(fig.caption)}'
            f"</figcaption></figure>"
        )
    parts.extend(_table(t) for t in result.tables)
    if result.numbers:
        rows = tuple((k, v) for k, v in result.numbers.items())
        parts.append(_table(Table("Key numbers", ("quantity", "value"), rows)))
    parts.append(f'<p class="meta">Computed in {html.escape(fmt(result.seconds))} s.</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _summary(results: Sequence[ClaimResult]) -> str:
    rows = "".join(
        f'<tr><td><a href="#claim-{html.escape(r.id)}">{html.escape(r.id)}</a></td>'
        f"<td>{html.escape(r.claim)}</td><td>{_verdict(r.verdict)}</td>"
        f"<td>{html.escape(r.key)}</td></tr>"
        for r in results
    )
    counts = {v: sum(r.verdict == v for r in results) for v in VERDICTS}
    tally = ", ".join(f"{html.escape(v)}: {n}" for v, n in counts.items())
    return (
        f'<table id="summary"><caption>Verdicts ({tally})</caption>'
        f"<thead><tr><th>claim</th><th>what the seed says</th><th>verdict</th>"
        f"<th>key number (95 % interval)</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _changelog(results: Sequence[ClaimResult]) -> str:
    """The changelog of rules (:mod:`depthscope.study.rules`) of the claims on the page."""
    rows = tuple((r.id, provenance(r.id).fixed, provenance(r.id).label.split(", ", 1)[1],
                  provenance(r.id).history) for r in results if r.rule)
    return _table(Table("Changelog of rules: when each claim's rule was fixed, and whether "
                        "that was before the runs it decides", ("claim", "fixed", "when",
                                                                 "history"), rows))


def render_report(
    results: Sequence[ClaimResult], *, title: str, setup: Mapping[str, object]
) -> str:
    """The whole page: summary table of verdicts, the set-up, then one section per claim."""
    setup_rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(fmt(v))}</td></tr>"
        for k, v in setup.items()
    )
    body = "\n".join(_section(r) for r in results)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        + (f'<p class="caveat">{html.escape(str(setup["caveat"]))}</p>'
           if setup.get("caveat") else "")
        + f"{_summary(results)}"
        f'<h2>Set-up</h2><table id="setup"><tbody>{setup_rows}</tbody></table>'
        f"{_changelog(results)}"
        f"{body}</body></html>\n"
    )
