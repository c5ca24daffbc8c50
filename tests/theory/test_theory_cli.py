"""`depthscope explain` and `depthscope phase`: JSON, figures and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from depthscope.cli import app
from depthscope.errors import DepthscopeError

runner = CliRunner()


def test_explain_json_and_figures(tmp_path) -> None:
    result = runner.invoke(app, ["explain", "tanh", "--scale", "2", "--sigma-w", "1.5",
                                 "--sigma-b", "0.3", "--depth", "10", "--out",
                                 str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    ex = doc["explanation"]
    assert ex["thresholds"]["good_interval"][1] == pytest.approx(0.6584789484624083)
    assert ex["depth_scales"]["phase"] == "chaotic"
    assert ex["critical_sigma_w"] == pytest.approx(1.395583975, rel=1e-8)
    assert len(ex["layerwise"]["q"]) == 10
    for path in doc["figures"]:
        with open(path, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_explain_table_mentions_verdicts(tmp_path) -> None:
    result = runner.invoke(app, ["explain", "tanh", "--scale", "2", "--depth", "50", "--out",
                                 str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "holds" in result.stdout
    assert "0.658" in result.stdout


def test_explain_defaults_to_the_study_point_and_says_what_it_means(tmp_path) -> None:
    """No --scale: no thresholds of a scaled function; sigma_b² = 0.05 (q* > 0); one
    sentence that agrees with the layer table (logsig shrinks its gradient over 50 layers
    at sigma_b = 0, where the old default read 'critical, trainable depth ∞')."""
    result = runner.invoke(app, ["explain", "logsig", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    ex = json.loads(result.stdout)["explanation"]
    assert ex["thresholds"] is None
    assert ex["sigma_b"] == pytest.approx(0.05**0.5)
    assert ex["depth_scales"]["q_star"] > 0.01
    ratio = ex["layerwise"]["grad_sq_ratio"][0] ** 0.5
    assert ("shrinks" if ratio < 1 else "grows") in ex["summary"]
    old = runner.invoke(app, ["explain", "logsig", "--sigma-b", "0", "--out", str(tmp_path),
                              "--json"])
    doc = json.loads(old.stdout)["explanation"]
    assert "shrinks" in doc["summary"]  # the table's 87x over 50 layers, said in words
    assert not any(p.endswith("slope.png") for p in json.loads(result.stdout)["figures"])


def test_explain_a_residual_net(tmp_path) -> None:
    """--residual --alpha --layernorm: the layer profile is the residual MLP's (q grows by
    alpha² q_branch per block; the gradient gain per block is 1 + alpha² (...)), as
    layerwise(residual=True) gives."""
    from depthscope.theory import layerwise

    result = runner.invoke(app, ["explain", "tanh", "--residual", "--alpha", "0.2",
                                 "--layernorm", "--depth", "20", "--sigma-w", "1.2",
                                 "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    ex = json.loads(result.stdout)["explanation"]
    assert ex["network"] == "residual MLP (alpha = 0.2, pre-LayerNorm)"
    lw = layerwise("tanh", 1.2, 0.05**0.5, 20, residual=True, alpha=0.2, layernorm=True)
    assert ex["layerwise"]["q"] == pytest.approx(list(lw.q), rel=1e-12)
    assert all(b > a for a, b in zip(lw.q, lw.q[1:], strict=False))  # no fixed point
    assert all(chi > 1 for chi in lw.chi)
    assert "no fixed point" in ex["summary"]


def test_explain_prints_the_depth_aware_transform(tmp_path) -> None:
    """--transform dks|tat --depth L: the parameters and invariants of dks_transform /
    tat_transform (TReLU for relu) for that depth."""
    from depthscope.theory import dks_transform

    result = runner.invoke(app, ["explain", "tanh", "--transform", "dks", "--depth", "50",
                                 "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["explanation"]["shaped"]["rows"]
    assert float(rows["input scale alpha"]) == pytest.approx(dks_transform("tanh", 50).scale,
                                                             rel=1e-9)
    assert rows["network C'(1) (target)"] == "1.5 (1.5)"
    relu = runner.invoke(app, ["explain", "relu", "--transform", "tat", "--depth", "50",
                               "--out", str(tmp_path)])
    assert relu.exit_code == 0, relu.output
    assert "negative slope a" in relu.stdout
    assert "network C(0) (target)" in relu.stdout


def test_phase_prints_a_table_and_labels_the_region_without_a_fixed_point(tmp_path,
                                                                         monkeypatch) -> None:
    from matplotlib.figure import Figure

    legends = []
    original = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda fig, *a, **k: (legends.append(
        [t.get_text() for t in fig.axes[0].get_legend().get_texts()]), original(fig, *a, **k)))
    out = runner.invoke(app, ["phase", "relu", "--points", "10", "--out", str(tmp_path / "p.png")])
    assert out.exit_code == 0, out.output
    assert "{" not in out.stdout  # a table, not a dict
    assert "chaotic" in out.stdout
    assert "no fixed point" in out.stdout
    # relu: q* exists only for sigma_w < sqrt 2; the rest is hatched and named; the edge of
    # chaos is one point, (sqrt 2, 0), drawn with a marker so its legend entry shows
    assert legends == [["edge of chaos", "no fixed point (q grows without bound)"]]


def test_phase_json(tmp_path) -> None:
    out = tmp_path / "phase.png"
    result = runner.invoke(app, ["phase", "relu", "--points", "12", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert out.exists()
    assert len(doc["diagram"]["chi1"]) == 12
    assert doc["edge_of_chaos"]["sigma_w"][0] == pytest.approx(2**0.5)  # Hayou 2019


@pytest.mark.parametrize(("args", "message"), [
    (["explain", "tanh", "--sigma-w", "-1"], "standard deviations"),
    (["explain", "relu", "--sigma-w", "2", "--sigma-b", "0.1"], "no fixed point"),
    (["phase", "tanh", "--points", "1"], "--points"),
    (["explain", "tanh", "--alpha", "0.5"], "--residual"),
    (["explain", "tanh", "--transform", "fks"], "'dks' or 'tat'"),
])
def test_bad_input_is_a_depthscope_error(args, message, tmp_path) -> None:
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "x")])
    assert isinstance(result.exception, DepthscopeError)
    assert message in str(result.exception)


def test_console_script_exits_2_with_one_line(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "depthscope", "explain", "tnah", "--out",
                           str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown activation" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
