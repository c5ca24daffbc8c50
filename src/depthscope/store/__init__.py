"""Results store: every run (config, status, summary, provenance) and its series in SQLite.

``load(path)`` returns pandas DataFrames; ``export(path, out, fmt=...)`` writes CSV/Parquet.
"""

from typing import Any

from depthscope.store.sqlite import DEFAULT_PATH, DONE, Store

__all__ = ["DEFAULT_PATH", "DONE", "Results", "Store", "export", "load"]


def __getattr__(name: str) -> Any:
    """The pandas side (``Results``, ``export``, ``load``) is imported when first used, so
    the command line can name the store's default path without loading pandas."""
    if name in ("Results", "export", "load"):
        from depthscope.store import frames

        return getattr(frames, name)
    raise AttributeError(f"module 'depthscope.store' has no attribute {name!r}")
