"""What a watch has seen: the layers, the statistics over steps and exact events."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from depthscope.activations import Activation
from depthscope.monitor.gradstats import STATS
from depthscope.monitor.probes import PROBE_STATS


@dataclass(frozen=True)
class LayerInfo:
    """A module that owns trainable parameters, in registration order."""

    name: str
    kind: str  # module class name
    numel: int
    activation: Activation | None = None  # the one its sigma_w governs (Linear/Conv only)
    sigma_w: float | None = None  # measured when the watch started
    sigma_b: float | None = None


@dataclass
class Record:
    """Gradient rows ``(records, layers, STATS)``, the observed training ``loss`` (records,)
    (nan where none was observed: ``Watch.observe_loss``), probe rows
    ``(records, sites, PROBE_STATS)`` (the activation call sites, in forward order:
    ``probe_names``, ``probe_activations``).

    ``first_nonfinite`` maps a layer index to the first step whose gradient had nan/inf,
    read at full resolution; ``nonfinite_steps`` counts such steps; ``last_finite`` maps a
    layer to its last finite gradient norm (kept when a nan follows); ``forward_order`` lists
    the layers in the order the first watched forward ran them.
    """

    layers: list[LayerInfo]
    steps: np.ndarray
    grads: np.ndarray
    loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    probe_names: list[str] = field(default_factory=list)
    probe_activations: list[Activation] = field(default_factory=list)
    probe_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    probes: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, len(PROBE_STATS))))
    first_nonfinite: dict[int, int] = field(default_factory=dict)
    nonfinite_steps: int = 0
    last_finite: dict[int, tuple[int, float]] = field(default_factory=dict)
    n_steps: int = 0
    scaler: bool = False
    forward_order: list[int] = field(default_factory=list)

    def ordered(self) -> list[int]:
        """Layer indices in forward order (input to output) where a forward was seen, else in
        registration order. A layer that never ran as a module (``MultiheadAttention``'s
        ``out_proj``, used through its weights) follows its nearest enclosing layer that did
        (by name); the others come last."""
        order = list(self.forward_order)
        ran = set(order)
        for i in range(len(self.layers)):
            if i in ran:
                continue
            name = self.layers[i].name
            parents = [k for k, j in enumerate(order)
                       if name.startswith(self.layers[j].name + ".")]
            order.insert(parents[-1] + 1 if parents else len(order), i)
        return order

    def stat(self, name: str) -> np.ndarray:
        """``(records, layers)`` values of one statistic in :data:`STATS`."""
        return self.grads[:, :, STATS.index(name)]

    def probe(self, name: str) -> np.ndarray:
        """``(records, probes)`` values of one statistic in :data:`PROBE_STATS`."""
        return self.probes[:, :, PROBE_STATS.index(name)]

    def norms(self) -> np.ndarray:
        """``(records, layers)`` gradient norms; layers without a gradient are masked (nan is
        kept where the gradient itself had nan)."""
        return np.ma.masked_where(self.stat("has_grad") == 0, self.stat("norm").astype(float))

    def global_norm(self) -> np.ndarray:
        """``(records,)`` ``sqrt(sum_l norm_l^2)`` over layers with a gradient (0 without any);
        nan or inf where a layer's norm is, as ``clip_grad_norm_`` returns it."""
        with np.errstate(over="ignore", invalid="ignore"):  # squared after filling: numpy.ma's
            return np.sqrt((self.norms().filled(0.0) ** 2).sum(axis=1))  # power masks nan
