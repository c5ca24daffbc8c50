"""``python -m benchmarks`` (``make bench``): run every ``benchmarks/<module>.py`` main()."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def main() -> None:
    """Import each benchmark module in turn (alphabetically) and call its ``main()``."""
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        print(f"\n== benchmarks.{info.name} ==", flush=True)
        module.main()


if __name__ == "__main__":
    main()
