"""Shared cases for the activation tests: every registered name plus parameter variants."""

from __future__ import annotations

import numpy as np

from depthscope.activations import get, names

VARIANTS = [
    ("tanh", {"scale": 2.0}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {"alpha": 2.0}),
    ("logsig", {"scale": 0.5, "shift": 0.3, "gain": 1.5, "offset": -0.2}),
]
CASES = [(n, {}) for n in names()] + VARIANTS
IDS = [get(n, **p).label for n, p in CASES]


def smooth_points(act, n: int = 41) -> np.ndarray:
    """Points in [-6, 6] at least 1e-3 away from every breakpoint (and from 0)."""
    x = np.linspace(-6.0, 6.0, n) + 0.0123
    for p in (*act.breakpoints, 0.0):
        x = x[np.abs(x - p) > 1e-3]
    return x
