"""Built-in tasks (no download): name -> generator of ``(X, y)`` plus its card."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from depthscope.data import mnist1d, shapeset
from depthscope.data.dataset import DatasetCard

Generator = Callable[..., tuple[np.ndarray, np.ndarray]]


def digits(n: int | None = None, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's shipped 8×8 handwritten digits (1797 images, pixel values 0..16)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.data, bunch.target


def teacher(
    n: int = 4000,
    *,
    seed: int = 0,
    features: int = 32,
    classes: int = 10,
    depth: int = 2,
    width: int = 64,
    sigma_w: float = 1.5,
) -> tuple[np.ndarray, np.ndarray]:
    """``x ~ N(0, I)``, label = argmax of a random tanh teacher MLP.

    Teacher: ``depth`` hidden tanh layers of ``width`` units, ``W_ij ~ N(0, sigma_w^2/fan_in)``,
    no biases, a linear read-out to ``classes`` logits.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features))
    h = x
    for fan_out in [width] * depth:
        h = np.tanh(h @ rng.standard_normal((h.shape[1], fan_out)) * sigma_w / np.sqrt(h.shape[1]))
    logits = h @ rng.standard_normal((h.shape[1], classes))  # (n, classes)
    return x, logits.argmax(1)


def gaussian(
    n: int = 4000, *, seed: int = 0, features: int = 32, classes: int = 10, separation: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian mixture: ``x = mu_y + z``, ``z ~ N(0, I)``, ``mu_k ~ N(0, separation^2/F · I)``."""
    rng = np.random.default_rng(seed)
    mu = rng.standard_normal((classes, features)) * separation / np.sqrt(features)
    y = rng.permutation(np.arange(n) % classes)
    return mu[y] + rng.standard_normal((n, features)), y


@dataclass(frozen=True)
class Builtin:
    """A generator and its card (``size`` is the default number of examples)."""

    generate: Generator
    card: DatasetCard

    @property
    def options(self) -> list[str]:
        """Keyword options the generator accepts besides ``n`` and ``seed``."""
        params = inspect.signature(self.generate).parameters
        return [p for p in params if p not in ("n", "seed")]


BUILTINS: dict[str, Builtin] = {
    "digits": Builtin(digits, DatasetCard(
        "digits", 1797, "scikit-learn load_digits (UCI optical digits, Alpaydin & Kaynak 1998)",
        "8×8 greyscale handwritten digits, 64 features, 10 classes", 10, 64)),
    "mnist1d": Builtin(mnist1d.generate, DatasetCard(
        "mnist1d", 5000, "generated procedurally (Greydanus 2020, MNIST-1D)",
        "1-D digit templates padded, shifted, scaled, sheared and noised; 40 features, "
        "10 classes", 10, 40)),
    "shapeset": Builtin(shapeset.generate, DatasetCard(
        "shapeset", 10000, "generated procedurally (Glorot & Bengio 2010, Shapeset-3×2)",
        "32×32 images of one or two triangles/parallelograms/ellipses; 1024 features, "
        "9 classes", 9, 1024)),
    "teacher": Builtin(teacher, DatasetCard(
        "teacher", 4000, "generated: random tanh teacher network",
        "x ~ N(0, I_32), label = argmax of a random depth-2 tanh teacher; 10 classes", 10, 32)),
    "gaussian": Builtin(gaussian, DatasetCard(
        "gaussian", 4000, "generated: Gaussian mixture",
        "x = mu_y + N(0, I_32), class means ~ N(0, 9/32 I); 10 classes", 10, 32)),
}
