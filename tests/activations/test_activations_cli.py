"""``depthscope activations``: table, JSON, plot and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from depthscope.activations import names
from depthscope.cli import app
from depthscope.errors import DepthscopeError

runner = CliRunner()


def test_table_lists_every_activation() -> None:
    result = runner.invoke(app, ["activations"])
    assert result.exit_code == 0, result.output
    for name in names():
        assert name in result.output


def test_json_is_one_document_with_metadata() -> None:
    result = runner.invoke(app, ["activations", "--json"])
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == names()
    sig = next(r for r in rows if r["name"] == "sigmoid")
    assert sig["max_slope"] == 0.25
    assert sig["tail_right"] == "exponential (rate 1)"
    one = json.loads(runner.invoke(app, ["activations", "tanh", "-p", "scale=2", "--json"]).stdout)
    assert one["name"] == "tanh(scale=2)"
    assert one["max_slope"] == pytest.approx(2.0)
    soft = json.loads(runner.invoke(app, ["activations", "softplus", "--json"]).stdout)
    assert soft["essay_derivative"]["correct"] is False


def test_one_activation_prints_its_card_and_strict_json() -> None:
    card = runner.invoke(app, ["activations", "logsig"]).output
    assert "phi' = 1/((1 + |x|)(1 + L)^2)" in card
    assert "reference: the essay (seed 002)" in card
    assert "|x|^-1 log^-2|x|" in card  # the tail as a formula
    soft = runner.invoke(app, ["activations", "softplus"]).output
    assert "the essay prints phi' = exp(x) / exp(x + 1) (wrong" in soft
    # JSON has no Infinity: relu's range (0, inf) is [0, null], and the null is explained
    relu = json.loads(runner.invoke(app, ["activations", "relu", "--json"]).stdout)
    assert relu["range"] == [0.0, None]
    assert relu["nonfinite"] == {"range[1]": "inf"}


def test_the_plot_title_names_the_parameters(tmp_path, monkeypatch) -> None:
    from matplotlib.figure import Figure

    titles = []
    monkeypatch.setattr(Figure, "savefig", lambda fig, *a, **k: titles.append(
        fig.axes[0].get_title()))
    runner.invoke(app, ["activations", "tanh", "-p", "scale=2", "--plot", str(tmp_path / "t.png")])
    assert titles == ["tanh(scale=2)(x)"]


def test_plot_writes_a_png(tmp_path) -> None:
    out = tmp_path / "softplus.png"
    result = runner.invoke(app, ["activations", "softplus", "--plot", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    json.loads(result.stdout)  # still exactly one JSON document


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["activations", "tanh", "--param", "scale"], "key=value"),
        (["activations", "--plot", "x.png"], "need an activation NAME"),
    ],
)
def test_bad_cli_usage_exits_2(args, message) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["activations", "logsg"], "did you mean 'logsig'"),
        (["activations", "tanh", "--param", "scale=0"], "scale must be > 0"),
    ],
)
def test_library_errors_are_depthscope_errors(args, message) -> None:
    # main() (run_app) turns these into `error: ...` and exit 2: checked once below.
    result = runner.invoke(app, args)
    assert isinstance(result.exception, DepthscopeError)
    assert message in str(result.exception)


def test_console_script_prints_one_line_and_exits_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "depthscope", "activations", "logsg"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert "did you mean 'logsig'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
