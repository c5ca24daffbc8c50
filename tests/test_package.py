"""Package-level contracts: version, lazy imports, the console script."""

from __future__ import annotations

import copy
import subprocess
import sys

import torch

import depthscope

HEAVY = ("matplotlib", "pandas", "ray", "tensorboard", "mlflow", "pyarrow", "sklearn")
NUMERIC = ("torch", "numpy", "scipy")


def _imported_by(code: str, candidates: tuple[str, ...]) -> list[str]:
    """Which of ``candidates`` a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys; print(','.join(m for m in {candidates!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()
    return [m for m in out[-1].split(",") if m] if out else []


def test_version_is_pep440() -> None:
    major, minor, patch = depthscope.__version__.split(".")
    assert (int(major), int(minor), int(patch)) >= (0, 1, 0)


def test_bare_import_pulls_no_heavy_optional_dependency() -> None:
    code = (
        "import sys, depthscope; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_the_command_line_answers_help_version_and_usage_errors_without_torch() -> None:
    # what --help, --version and a usage error import, not how long it takes: nothing
    # numeric until a command runs (torch alone is ~1.5-5 s to import, by machine)
    assert _imported_by("import depthscope.cli", NUMERIC + HEAVY) == []
    for argv in (["--help"], ["--version"], ["explain", "--help"], ["study", "--no-such"],
                 ["activations", "--help"], ["sweep", "--help"], ["probe", "--help"]):
        code = ("import contextlib, io; from depthscope.cli import app\n"
                "with contextlib.redirect_stdout(io.StringIO()), "
                "contextlib.redirect_stderr(io.StringIO()):\n"
                f"    try: app({argv!r}, standalone_mode=False)\n"
                "    except BaseException: pass")
        assert _imported_by(code, NUMERIC + HEAVY) == [], argv


def test_cli_version_and_bad_option() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "depthscope", "--version"], capture_output=True, text=True
    )
    assert ok.returncode == 0
    assert ok.stdout.strip() == f"depthscope {depthscope.__version__}"
    bad = subprocess.run(
        [sys.executable, "-m", "depthscope", "--no-such-option"], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def test_every_public_name_resolves() -> None:
    for name in depthscope.__all__:
        assert getattr(depthscope, name) is not None, name
    net = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    twin = copy.deepcopy(net)
    depthscope.init.critical_(net, 0.1, generator=torch.Generator().manual_seed(0))
    depthscope.critical_(twin, 0.1, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), twin.parameters(),
                                                  strict=True))
    assert depthscope.activation("tanh", scale=2).meta.max_slope == 2.0


def test_json_commands_keep_library_output_off_stdout() -> None:
    code = ("import os, sys\n"
            "from depthscope.cli.common import print_json, stdout_to_stderr\n"
            "with stdout_to_stderr():\n"
            "    print('(raylet) noise'); sys.stdout.flush(); os.write(1, b'fd noise\\n')\n"
            "print_json({'ok': 1})\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout == '{\n  "ok": 1\n}\n'
    assert "(raylet) noise" in done.stderr
    assert "fd noise" in done.stderr
