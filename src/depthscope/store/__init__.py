"""Results store: every run (config, status, summary, provenance) and its series in SQLite.

``load(path)`` returns pandas DataFrames; ``export(path, out, fmt=...)`` writes CSV/Parquet.
"""

from depthscope.store.frames import Results, export, load
from depthscope.store.sqlite import DEFAULT_PATH, DONE, Store

__all__ = ["DEFAULT_PATH", "DONE", "Results", "Store", "export", "load"]
