"""Where a result came from: depthscope version, git commit, host and library versions.

Every run the store keeps carries this record next to its full config and seed, so a number
in a report can be traced back to the exact code that produced it.
"""

from __future__ import annotations

import platform
import socket
import subprocess
from functools import cache
from pathlib import Path

import torch

from depthscope import __version__

_PACKAGE_DIR = Path(__file__).resolve().parent


def _git(*args: str) -> str | None:
    """Output of ``git -C <package dir> args`` or ``None`` (no git, not a checkout)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(_PACKAGE_DIR), *args],
            capture_output=True, text=True, timeout=10, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


@cache
def git_sha() -> str | None:
    """Commit of the depthscope checkout, with ``+dirty`` if tracked files changed; else None."""
    sha = _git("rev-parse", "HEAD")
    if not sha:
        return None
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return f"{sha}+dirty" if dirty else sha


@cache
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


@cache
def provenance() -> dict[str, str | None]:
    """Version, git SHA, host, CPU (model and the instruction set torch's CPU kernels use:
    float32 results depend on it) and library versions of this process (computed once)."""
    return {
        "version": __version__,
        "git_sha": git_sha(),
        "hostname": socket.gethostname(),
        "cpu": cpu_model(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
