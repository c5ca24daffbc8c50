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
    (["study", "--plan", "--claim", "8"], "--plan plans the whole study; drop --claim"),
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


def _bad_files(tmp_path: Path) -> None:
    import struct

    import numpy as np

    rng = np.random.default_rng(0)
    (tmp_path / "bin.csv").write_bytes(bytes(rng.integers(128, 256, 3000, dtype=np.uint8)))
    (tmp_path / "junk.npz").write_bytes(b"not a zip archive at all" * 50)
    np.savez(tmp_path / "cplx.npz", X=rng.normal(size=(10, 3)) + 1j, y=np.arange(10) % 2)
    (tmp_path / "big.csv").write_text("a,b,y\n" + "\n".join(
        f"{i},{i},{0 if i < 5 else 10**9}" for i in range(10)))
    (tmp_path / "t-images-idx3-ubyte").write_bytes(bytes([0, 0, 8, 3])
                                                   + struct.pack(">3I", *[2**32 - 1] * 3))
    (tmp_path / "t-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 3)
                                                   + bytes(3))
    (tmp_path / "c.bin").write_bytes((bytes([200]) + bytes(3072)) * 3)


@pytest.mark.parametrize(("name", "message"), [
    ("bin.csv", "not a text CSV file (not UTF-8)"),
    ("junk.npz", "not a readable .npz"),
    ("cplx.npz", "complex numbers are not supported"),
    ("big.csv", "the largest label is 1,000,000,000 but only 2 distinct labels occur"),
    ("t-images-idx3-ubyte", "needs 79228162458924105385300197375"),  # no 32-bit wrap
    ("c.bin", "label byte 200 where CIFAR-10 has classes 0..9"),
])
def test_bad_data_files_are_refused_in_one_line(tmp_path: Path, name: str, message: str) -> None:
    _bad_files(tmp_path)
    done = run(tmp_path, "data", name)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_spec_lists_every_mistake_and_a_huge_grid_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "name: bad\nlr: .inf\nsigma_w: .nan\n"
        "grid:\n  depth: [2]\n  depths: [true, 2]\n")
    done = run(tmp_path, "sweep", "bad.yaml")
    assert done.returncode == 2
    for problem in ("grid.depths[0]: must be a number, not true",
                    "grid.depth: unknown key; did you mean 'depths'?",
                    "sigma_w: must be a finite number", "lr: must be a finite number"):
        assert problem in done.stderr
    (tmp_path / "typo.yaml").write_text("dataset: digitz\n")  # caught before any training
    assert "error: unknown dataset 'digitz' (not built in, no such file); did you mean " \
           "'digits'?" in run(tmp_path, "sweep", "typo.yaml").stderr
    (tmp_path / "twice.yaml").write_text("steps: 10\nsteps: 20\n")
    assert "duplicate key 'steps'" in run(tmp_path, "sweep", "twice.yaml").stderr
    axis = "[" + ", ".join(str(v) for v in range(1, 11)) + "]"
    (tmp_path / "huge.yaml").write_text("grid:\n" + "".join(
        f"  {a}: {axis}\n" for a in ("depths", "widths", "seeds", "batch_sizes", "steps")) +
        "  lrs: [0.1, 0.2]\n")
    huge = run(tmp_path, "sweep", "huge.yaml")
    assert huge.returncode == 2
    assert "grid: 200,000 runs, more than max_runs = 100,000; shrink the grid or set " \
           "max_runs: 200000 in the spec" in huge.stderr
