"""Every command, fed what a hostile user would type: one ``error: …`` line, exit status 2,
no traceback; user text printed verbatim (never parsed as Rich markup)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SPEC = Path(__file__).parents[1] / "examples" / "sweep_quick.yaml"


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "afile").touch()
    return subprocess.run([sys.executable, "-m", "depthscope", *args], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)


@pytest.mark.parametrize(("args", "message"), [
    # markup in user text is shown, not interpreted (it used to crash with MarkupError)
    (["activations", "[/b]tanh"], "unknown activation '[/b]tanh'"),
    (["data", "[bold]nosuch[/bold]"], "no dataset '[bold]nosuch[/bold]'"),
    # paths: a file in the way, a folder for a file, a format matplotlib cannot write
    (["phase", "tanh", "--out", "afile/x.png"], "'afile' is a file, not a folder"),
    (["phase", "tanh", "--out", "foo.xyz"], "matplotlib cannot write '.xyz'"),
    (["activations", "tanh", "--plot", "."], "is a folder; name a file"),
    (["activations", "tanh", "--plot", "afile/x.png"], "'afile' is a file, not a folder"),
    (["explain", "tanh", "--out", "afile"], "is an existing file; name a folder"),
    (["export", "--out", "afile"], "is an existing file; name a folder"),
    (["study", "--out", "afile/x"], "'afile' is a file, not a folder"),
    (["sweep", str(SPEC), "--store", "afile/r.sqlite"], "'afile' is a file, not a folder"),
    # numbers and choices
    (["data", "digits", "--seed", "-1"], "Invalid value for '--seed'"),
    (["runs", "--limit", "-3"], "Invalid value for '--limit'"),
    (["runs", "--status", "bogus"], "--status 'bogus': stored runs are finished or diverged"),
    (["sweep", str(SPEC), "--margin", "nan"], "--margin must be between 0 and 1"),
    (["sweep", str(SPEC), "--margin", "-5"], "--margin must be between 0 and 1"),
    # Click's own usage errors: one line too, with where to look
    (["explain", "tanh", "--depth", "abc"], "depthscope explain --help')"),
    (["--no-such-option"], "No such option: --no-such-option"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = run(tmp_path, *args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]
