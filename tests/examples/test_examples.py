"""Every example under examples/*.py runs (smoke size) and exits cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.py"))
# what an example must print (stdout + stderr) besides exiting cleanly
EXPECT = {"deep_tanh_fix.py": ("depthscope alarm", "vanishing gradients", "alarms: 0"),
          "resnet_probe_fix.py": ("ResNet: chaotic", ": critical (first/last APJN")}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DEPTHSCOPE_SMOKE": "1", "MPLBACKEND": "Agg",
           "PYTHONWARNINGS": "error::RuntimeWarning"}
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    for text in EXPECT.get(path.name, ()):
        assert text in done.stdout + done.stderr
