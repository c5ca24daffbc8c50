"""``depthscope probe``: a model from a file or a module, a table, JSON, a figure, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from depthscope.cli import app
from depthscope.errors import DepthscopeError

runner = CliRunner()
MODEL = """
from torch import nn

def deep():
    layers = [m for _ in range(20) for m in (nn.Linear(64, 64), nn.Tanh())]
    return nn.Sequential(*layers, nn.Linear(64, 10))

def broken():
    raise ValueError("no")
"""


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "mymodel.py"
    path.write_text(MODEL)
    return path


def test_probe_a_file_model_json_and_plot(model_file, tmp_path) -> None:
    """A 20-layer tanh MLP at PyTorch's default init vanishes; the fix names tanh's
    critical sigma_w."""
    plot = tmp_path / "spp.png"
    result = runner.invoke(app, ["probe", f"{model_file}:deep", "--input-shape", "32,64",
                                 "--plot", str(plot), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    verdict = doc["report"]["verdict"]
    assert verdict["phase"].startswith("ordered")
    assert "edge of chaos is 1 " in verdict["recommendations"][0]
    assert len(doc["report"]["units"]) == 41
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = runner.invoke(app, ["probe", f"{model_file}:deep", "--input-shape", "32,64"])
    assert "APJN" in table.stdout


def test_probe_a_module_path() -> None:
    result = runner.invoke(app, ["probe", "torch.nn:Identity", "--input-shape", "2,3"])
    assert isinstance(result.exception, DepthscopeError)
    assert "no parameters" in str(result.exception)


@pytest.mark.parametrize(("target", "shape", "message"), [
    ("FILE:deep", "32,63", "do not fit"),
    ("FILE:nothing", "32,64", "has no 'nothing'"),
    ("FILE:broken", "32,64", "broken() failed: ValueError: no"),
    ("no_such_pkg.mod:f", "3", "cannot import no_such_pkg.mod"),
    ("FILE", "3", "module:factory"),
    ("FILE:deep", "32,x", "--input-shape"),
])
def test_bad_input_is_one_line(model_file, target, shape, message) -> None:
    args = ["probe", target.replace("FILE", str(model_file)), "--input-shape", shape]
    proc = subprocess.run([sys.executable, "-m", "depthscope", *args], capture_output=True,
                          text=True)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
