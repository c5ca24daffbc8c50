"""Python, NumPy and dataclass values as strict JSON (no Infinity, no NaN), one convention
for every document depthscope writes: the command line's ``--json`` and ``verdicts.json``."""

from __future__ import annotations

import math
from dataclasses import asdict, is_dataclass
from typing import Any


def to_jsonable(value: Any, path: str = "", nonfinite: dict[str, str] | None = None) -> Any:
    """Dataclasses, NumPy scalars/arrays as plain JSON values; a non-finite float becomes
    ``null``, its path (``a.b[3]``) and value (``"inf"``, ``"-inf"``, ``"nan"``) noted in
    ``nonfinite`` (JSON has no Infinity, and numeric fields stay numbers or null)."""
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value), path, nonfinite)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, f"{path}.{k}" if path else str(k), nonfinite)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, f"{path}[{i}]", nonfinite) for i, v in enumerate(value)]
    if hasattr(value, "tolist"):
        return to_jsonable(value.tolist(), path, nonfinite)
    if isinstance(value, float) and not math.isfinite(value):
        if nonfinite is not None:
            nonfinite[path] = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return None
    return value


def json_document(value: Any) -> Any:
    """One object: its non-finite numbers as null, listed under ``"nonfinite"``."""
    found: dict[str, str] = {}
    out = to_jsonable(value, "", found)
    if found and isinstance(out, dict):
        out["nonfinite"] = found
    return out
