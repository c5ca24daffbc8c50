"""The runner never lets one failing claim hide the others, and never invents a number."""

from __future__ import annotations

from pathlib import Path

import pytest

from depthscope.errors import DepthscopeError
from depthscope.study import Context, get_profile, run_study
from depthscope.study.claims import Claim, ClaimInfo
from depthscope.study.runner import check_claim, failures

INFO = ClaimInfo("x", "seed", "a claim", "a method")


def _ctx(tmp_path: Path) -> Context:
    return Context(get_profile("test"), tmp_path / "out", tmp_path / "runs.sqlite")


def test_a_failing_check_is_loud(tmp_path: Path) -> None:
    def boom(ctx: Context) -> None:
        raise RuntimeError("no data\nsecond line")

    result = check_claim(Claim(INFO, boom), _ctx(tmp_path))
    assert result.verdict == "failed"
    assert "RuntimeError: no data" in result.why
    assert "second line" not in result.why  # one line
    assert failures([result]) == [result]
    assert (result.figures, result.tables, result.numbers) == ([], [], {})


def test_a_missing_module_is_named(tmp_path: Path) -> None:
    def needs(ctx: Context) -> None:
        import depthscope.no_such_module  # noqa: F401

    result = check_claim(Claim(INFO, needs), _ctx(tmp_path))
    assert result.verdict == "not evaluated"
    assert "depthscope.no_such_module" in result.why


def test_shared_experiments_run_once_and_failures_are_remembered(tmp_path: Path) -> None:
    ctx, calls = _ctx(tmp_path), []

    def build() -> int:
        calls.append(1)
        raise ValueError("broken sweep")

    for _ in range(2):
        with pytest.raises(ValueError, match="broken sweep"):
            ctx.shared("k", build)
    assert len(calls) == 1
    assert ctx.shared("ok", lambda: 5) == ctx.shared("ok", lambda: 6) == 5


def test_unknown_profile_and_claim(tmp_path: Path) -> None:
    with pytest.raises(DepthscopeError, match="unknown study profile"):
        get_profile("huge")
    with pytest.raises(DepthscopeError, match="unknown claim id"):
        run_study(_ctx(tmp_path), only=["99"])


def test_one_claim_end_to_end(tmp_path: Path) -> None:
    results, paths = run_study(_ctx(tmp_path), only=["1"])
    assert [r.verdict for r in results] == ["holds"]
    assert paths["report"].read_text().count('<section class="claim"') == 1
    assert paths["setup"]["profile"] == "test"


def test_the_cli_exits_non_zero_when_a_claim_fails(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from depthscope.cli import app
    from depthscope.study import claims, runner

    def boom(ctx: Context) -> None:
        raise ValueError("broken evidence")

    monkeypatch.setattr(runner, "all_claims", lambda: [Claim(INFO, boom)])
    monkeypatch.setattr(claims, "all_claims", lambda: [Claim(INFO, boom)])
    result = CliRunner().invoke(app, ["study", "--profile", "test", "--out",
                                      str(tmp_path / "out"), "--json"])
    assert result.exit_code == 1
    assert "error: claim x failed: the check raised ValueError: broken evidence" in result.stderr
    assert (tmp_path / "out" / "report.html").exists()  # the report is still written
