"""Write the study's outputs: ``report.html``, ``figures/*.png|svg`` and ``verdicts.json``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from depthscope.jsonable import json_document
from depthscope.report.html import render_report
from depthscope.study.result import ClaimResult


def write_report(
    results: Sequence[ClaimResult], out_dir: Path, *, title: str, setup: Mapping[str, object]
) -> dict[str, Path]:
    """Write the page, every figure (PNG and SVG) and the verdicts; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = out_dir / "figures"
    figures.mkdir(exist_ok=True)
    for result in results:
        for fig in result.figures:
            (figures / f"{fig.name}.png").write_bytes(fig.png)
            (figures / f"{fig.name}.svg").write_text(fig.svg, encoding="utf-8")
    page = out_dir / "report.html"
    page.write_text(render_report(results, title=title, setup=setup), encoding="utf-8")
    verdicts = out_dir / "verdicts.json"
    document = {"setup": dict(setup), "claims": [r.to_json() for r in results]}
    verdicts.write_text(json.dumps(json_document(document), indent=2, allow_nan=False) + "\n",
                        encoding="utf-8")
    return {"report": page, "verdicts": verdicts, "figures": figures}
