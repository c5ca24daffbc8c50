"""Every example under examples/*.py runs (smoke size) and exits cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DEPTHSCOPE_SMOKE": "1", "MPLBACKEND": "Agg",
           "PYTHONWARNINGS": "error::RuntimeWarning"}
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr


def test_deep_tanh_example_shows_alarm_and_recovery(tmp_path: Path) -> None:
    path = next(p for p in EXAMPLES if p.name == "deep_tanh_fix.py")
    done = subprocess.run([sys.executable, str(path), "--smoke", "--plot", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "depthscope alarm" in done.stderr
    assert "vanishing" in done.stderr
    assert "alarms: 0" in done.stdout
    assert (tmp_path / "before.png").exists()
    assert (tmp_path / "after.png").exists()
