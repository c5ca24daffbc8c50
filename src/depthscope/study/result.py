"""What a claim check returns: the claim, the method, the evidence and a verdict.

Every number shown in the report lives in a :class:`Table` or in ``numbers``; the report
formats them, it never types one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from depthscope.study.rules import provenance

Verdict = Literal["holds", "holds with caveats", "partly holds", "does not hold",
                  "inconclusive", "not evaluated", "failed"]
VERDICTS: tuple[Verdict, ...] = ("holds", "holds with caveats", "partly holds", "does not hold",
                                 "inconclusive", "not evaluated", "failed")
#: "partly holds": a claim of several parts, some of which hold and some of which do not
#: (:func:`combined`).
#: "inconclusive": the evidence's interval straddles the rule's threshold. "not evaluated": an
#: expected, stated cause (a missing optional dependency or device). "failed": the check
#: raised; the study then exits non-zero.


def graded(score: float, holds_from: float, caveats_from: float, text: str,
           caveat: str = "") -> tuple[Verdict, str]:
    """``holds`` if ``score >= holds_from``, ``holds with caveats`` (with ``caveat`` appended)
    if ``score >= caveats_from``, else ``does not hold``; ``text`` states the evidence."""
    if score >= holds_from:
        return "holds", text + "."
    if score >= caveats_from:
        return "holds with caveats", text + caveat + "."
    return "does not hold", text + "."


def combined(parts: dict[str, Verdict]) -> Verdict:
    """The verdict of a claim made of the sub-claims ``parts`` (name → verdict): every part
    holds → ``holds``; every part holds, some with caveats → ``holds with caveats``; some do
    not hold and some hold (with or without caveats) → ``partly holds``; some do not hold
    and the others are inconclusive → ``does not hold`` (every decided part is false); else
    (some part inconclusive, none false) → ``inconclusive``. A part that itself ``partly
    holds`` counts as one part that holds and one that does not."""
    found: set[str] = set()
    for verdict in parts.values():
        found |= {"holds", "does not hold"} if verdict == "partly holds" else {verdict}
    true = found & {"holds", "holds with caveats"}
    if found == {"holds"}:
        return "holds"  # a single verdict, or all parts alike
    if found == true:
        return "holds with caveats"
    if "does not hold" in found:
        return "partly holds" if true else "does not hold"
    return "inconclusive"


@dataclass(frozen=True)
class Figure:
    """One rendered figure: PNG bytes (embedded in the page) and SVG text (written beside)."""

    name: str  # file stem, e.g. "claim03_products"
    caption: str
    png: bytes
    svg: str


@dataclass(frozen=True)
class Table:
    """A small table of evidence; cells are numbers or short strings."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.caption!r}: row {row!r} has the wrong width")


@dataclass
class ClaimResult:
    """The outcome of checking one claim of the seeds."""

    id: str  # "1" ... "13", "glorot", "schoenholz"
    source: str  # which seed text the claim comes from
    claim: str  # the claim, paraphrased
    method: str  # how we checked it
    verdict: Verdict
    why: str  # the reason, with the numbers that decided it
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    numbers: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    rule: str = ""  # the decision rule, stated before the experiment (printed beside the verdict)
    key: str = ""  # the key number with its interval, for the summary table
    intervals: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}; one of {VERDICTS}")

    def to_json(self) -> dict[str, object]:
        """The verdict record written to ``verdicts.json`` (figures by file name)."""
        return {
            "id": self.id,
            "source": self.source,
            "claim": self.claim,
            "method": self.method,
            "verdict": self.verdict,
            "why": self.why,
            "rule": self.rule,
            "rule_fixed": provenance(self.id).label if self.rule else "",
            "key": self.key,
            "intervals": self.intervals,
            "numbers": self.numbers,
            "figures": [f.name for f in self.figures],
            "tables": [
                {"caption": t.caption, "columns": list(t.columns),
                 "rows": [list(r) for r in t.rows]}
                for t in self.tables
            ],
            "seconds": self.seconds,
        }


def not_evaluated(id: str, source: str, claim: str, method: str, reason: str) -> ClaimResult:
    """A claim whose evidence could not be built: say why, show no number."""
    return ClaimResult(id, source, claim, method, "not evaluated", reason)
