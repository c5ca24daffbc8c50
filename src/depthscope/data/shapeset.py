"""Shapeset-3×2 (Glorot & Bengio 2010), regenerated from its published description.

32×32 grey images holding one or two objects (count uniform); each object is a triangle,
parallelogram or ellipse (a 20-gon), uniformly. A shape is the regular polygon inscribed in
a circle of radius 0.5, rotated by a random angle, scaled per axis by U(0.2, 0.8)·32 (the
larger factor on the first axis), rotated back, rotated by a uniform angle and translated
uniformly with a 1-pixel margin. Foreground grey U[0.55, 1], background U[0, 0.45], swapped
with probability 1/2; a second object overlapping the first by more than half of the smaller
one is redrawn (up to 50 tries). Pixels are mapped to [-1, 1]. Labels (9 classes): T, P, E,
T+P, P+E, T+E, 2T, 2P, 2E. See REFERENCES.md.
"""

from __future__ import annotations

import numpy as np

SIZE, SIDES, TRIES = 32, (3, 4, 20), 50
PAIR_CLASS = {(0, 1): 3, (1, 2): 4, (0, 2): 5, (0, 0): 6, (1, 1): 7, (2, 2): 8}
_CENTRES = (np.stack(np.meshgrid(np.arange(SIZE), np.arange(SIZE), indexing="ij"), -1)
            .reshape(-1, 2) + 0.5)  # (1024, 2) pixel centres


def _polygons(kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Vertices (n, 20, 2), counter-clockwise, of random shapes of the given kinds (n,)."""
    n, k_max = kind.size, max(SIDES)
    sides = np.asarray(SIDES)[kind]  # (n,)
    j = np.minimum(np.arange(k_max)[None, :], sides[:, None] - 1)  # repeat the last vertex
    angle = 2 * np.pi * j / sides[:, None]
    v = 0.5 * np.stack([np.cos(angle), np.sin(angle)], -1)  # (n, 20, 2)

    def rot(a: np.ndarray) -> np.ndarray:
        c, s = np.cos(a), np.sin(a)
        return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)  # (n, 2, 2)

    a1, a2 = rng.uniform(0, 2 * np.pi, (2, n))
    scale = -np.sort(-rng.uniform(0.2, 0.8, (n, 2)), axis=1) * SIZE  # larger first
    m = rot(a2) @ rot(-a1) @ (scale[:, :, None] * rot(a1))  # (n, 2, 2)
    v = v @ m.transpose(0, 2, 1)
    lo, hi = v.min(1), v.max(1)  # (n, 2)
    shift = rng.uniform(1 - lo, np.maximum(SIZE - 1 - hi, 1 - lo))
    return v + shift[:, None, :]


def _rasterise(v: np.ndarray) -> np.ndarray:
    """Masks (n, 1024): pixel centres inside each convex CCW polygon ``v`` (n, k, 2).

    A centre ``c`` is inside when every edge ``p -> q`` has ``cross(q - p, c - p) >= 0``; the
    cross product is affine in ``c``, so all edges and pixels are one matrix product.
    """
    p, q = v, np.roll(v, -1, axis=1)
    e = q - p  # (n, k, 2)
    coef = np.stack([-e[..., 1], e[..., 0], e[..., 1] * p[..., 0] - e[..., 0] * p[..., 1]], -1)
    grid = np.concatenate([_CENTRES, np.ones((SIZE * SIZE, 1))], 1).T  # (3, 1024)
    out = np.empty((v.shape[0], SIZE * SIZE), dtype=bool)
    for s in range(0, v.shape[0], 1024):
        cross = coef[s : s + 1024].astype(np.float32) @ grid.astype(np.float32)  # (b, k, 1024)
        out[s : s + 1024] = cross.min(1) >= 0
    return out


def generate(n: int = 10000, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images (n, 1024) in [-1, 1] and labels (n,) in 0..8."""
    rng = np.random.default_rng(seed)
    count = rng.integers(1, 3, n)
    kinds = rng.integers(0, 3, (n, 2))
    first = _rasterise(_polygons(kinds[:, 0], rng))
    second = np.zeros_like(first)
    todo = np.flatnonzero(count == 2)
    for _ in range(TRIES):
        second[todo] = _rasterise(_polygons(kinds[todo, 1], rng))
        smaller = np.minimum(first[todo].sum(1), second[todo].sum(1)).clip(min=1)
        todo = todo[(first[todo] & second[todo]).sum(1) > 0.5 * smaller]
        if todo.size == 0:
            break
    fg = rng.uniform(0.55, 1.0, (n, 2))
    bg = rng.uniform(0.0, 0.45, (n, 1))
    swap = rng.random((n, 1)) < 0.5
    fg, bg = np.where(swap, 1 - fg, fg), np.where(swap, 1 - bg, bg)
    img = np.where(second, fg[:, 1:], np.where(first, fg[:, :1], bg))  # (n, 1024)
    pair = np.sort(kinds, axis=1)
    label = np.where(
        count == 1, kinds[:, 0], [PAIR_CLASS[(int(a), int(b))] for a, b in pair]
    )
    return 2 * img - 1, label.astype(np.int64)
