"""The HTML report: number formatting, escaping, self-containment and a real browser load."""

from __future__ import annotations

import json
import os
import re

import pytest

from depthscope.report import fmt, render_report, write_report
from depthscope.report.browser import check_page, find_chromium
from depthscope.report.figures import plot
from depthscope.study.result import ClaimResult, Table

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def _results() -> list[ClaimResult]:
    fig = plot("t_line", f"caption {HOSTILE}", lambda ax: ax[0, 0].plot([0, 1], [1, 0]))
    table = Table(f"table {HOSTILE}", ("name", "value"), ((HOSTILE, 0.5), ("inf", float("inf"))))
    return [
        ClaimResult("1", "seed A", f"claim {HOSTILE}", "method", "holds", "why 1",
                    figures=[fig], tables=[table], numbers={"x": 1.25}),
        ClaimResult("x<y", "seed B", "claim two", "method", "not evaluated", HOSTILE),
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.6584789484624084, "0.6585"), (3, "3"), (1e-7, "1.000e-07"), (123456.0, "1.235e+05"),
     (float("nan"), "nan"), (float("-inf"), "−∞"), (True, "yes"), (None, "—"), (0.0, "0")],
)
def test_fmt(value: object, text: str) -> None:
    assert fmt(value) == text


def test_every_string_is_escaped_and_nothing_is_external() -> None:
    page = render_report(_results(), title=f"t {HOSTILE}", setup={HOSTILE: HOSTILE})
    assert "<script" not in page
    assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert page.count("&lt;script&gt;") >= 6
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert 'id="claim-x&lt;y"' in page
    assert "0.5</td>" in page
    assert "∞</td>" in page


def test_table_rows_must_match_columns() -> None:
    with pytest.raises(ValueError, match="wrong width"):
        Table("t", ("a", "b"), ((1,),))


def test_unknown_verdict_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown verdict"):
        ClaimResult("1", "s", "c", "m", "probably", "w")  # type: ignore[arg-type]


def test_write_report_files(tmp_path) -> None:
    paths = write_report(_results(), tmp_path, title="t", setup={"profile": "test"})
    verdicts = json.loads(paths["verdicts"].read_text())
    assert [c["verdict"] for c in verdicts["claims"]] == ["holds", "not evaluated"]
    assert verdicts["claims"][0]["tables"][0]["rows"][1] == ["inf", None]  # strict JSON
    assert verdicts["nonfinite"] == {"claims[0].tables[0].rows[1][1]": "inf"}
    assert (tmp_path / "figures" / "t_line.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "figures" / "t_line.svg").read_text().lstrip().startswith("<?xml")


def require_chromium() -> str:
    """The chromium path; skip without it, except under CI where it must exist."""
    path = find_chromium()
    if path is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is missing under CI; .ci/run must apt-get install chromium")
        pytest.skip("chromium not installed")
    return path


@pytest.mark.browser
def test_page_loads_in_headless_chromium(tmp_path) -> None:
    chromium = require_chromium()
    paths = write_report(_results(), tmp_path, title="t", setup={"profile": "test"})
    seen = check_page(paths["report"], chromium, screenshot=tmp_path / "shot.png")
    assert (tmp_path / "shot.png").read_bytes()[:4] == b"\x89PNG"
    assert seen.console_errors == ()
    assert seen.sections == ("claim-1", "claim-x<y")
    assert seen.images == 1
    assert seen.broken_images == 0
    assert seen.external_requests == ()
    assert seen.title == "t"
