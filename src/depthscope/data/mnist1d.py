"""MNIST-1D (Greydanus 2020): ten 12-point templates, randomly padded, scaled, shifted,
noised and sheared, then resampled to 40 points.

Vectorised re-implementation of the reference generator's ``transform`` with its default
arguments (padding 36-60, scale coefficient 0.4, max translation 48, correlated noise 0.25
smoothed with a Gaussian of sigma 2, i.i.d. noise 0.02, shear 0.75, length 40). Samples are
drawn from a seeded ``numpy.random.Generator``, so values differ from the published pickle,
but the distribution is the same.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

TEMPLATES = np.array(
    [
        [5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5],
        [5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5],
        [5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5],
        [5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5],
        [5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5],
        [5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5],
        [5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5],
        [5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5],
        [5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5],
        [5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5],
    ]
)
PADDING = (36, 60)
SCALE_COEFF, MAX_TRANSLATION = 0.4, 48
CORR_NOISE, IID_NOISE, SHEAR = 0.25, 0.02, 0.75
LENGTH = 40


def templates() -> np.ndarray:
    """The ten templates, whitened, starting at 0 and divided by 6 (as in the reference)."""
    x = TEMPLATES - TEMPLATES.mean(1, keepdims=True)
    x = x / x.std(1, keepdims=True)
    return (x - x[:, :1]) / 6.0  # (10, 12)


def _resample(x: np.ndarray, lengths: np.ndarray, out: int) -> np.ndarray:
    """Linear interpolation of each row's first ``lengths[i]`` values onto ``out`` points."""
    pos = np.linspace(0.0, 1.0, out)[None, :] * (lengths[:, None] - 1)  # (N, out)
    lo = np.minimum(np.floor(pos).astype(np.int64), lengths[:, None] - 1)
    hi = np.minimum(lo + 1, lengths[:, None] - 1)
    frac = pos - lo
    rows = np.arange(x.shape[0])[:, None]
    return x[rows, lo] * (1 - frac) + x[rows, hi] * frac


def generate(n: int = 5000, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` signals (n, 40) and labels (n,), classes balanced then shuffled."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % 10)
    tpl = templates()[y] + 1e-8  # (n, 12)
    width = tpl.shape[1] + PADDING[1]
    padded = np.zeros((n, width))
    padded[:, : tpl.shape[1]] = tpl
    lengths = tpl.shape[1] + rng.integers(PADDING[0], PADDING[1] + 1, size=n)
    x = _resample(padded, lengths, width)  # (n, 72): dilate
    x *= 1 + SCALE_COEFF * (rng.random((n, 1)) - 0.5)  # scale
    shift = rng.integers(0, MAX_TRANSLATION, size=n)
    x = x[np.arange(n)[:, None], (np.arange(width)[None, :] - shift[:, None]) % width]  # roll
    noise = gaussian_filter1d(CORR_NOISE * rng.standard_normal((n, width)), 2.0, axis=1)
    x = np.where(x != 0, x, noise) + IID_NOISE * rng.standard_normal((n, width))
    x -= SHEAR * (rng.random((n, 1)) - 0.5) * np.linspace(-0.5, 0.5, width)[None, :]
    return _resample(x, np.full(n, width), LENGTH), y
