"""The network as the unit of theory: composable layers whose maps give the mean field of
plain, residual and normalised nets (in the style of neural-tangents' ``stax``).

Every layer maps the *state* of the signal at its input to the state at its output: the
second moment ``q`` of a unit (over the random weights), the covariance ``k = q c`` of the
same unit under two inputs (``c`` their correlation), and it has a backward *gain*: the
expected ratio ``||dL/d input||^2 / ||dL/d output||^2`` at init (infinite width, Gaussian
weights ``W_ij ~ N(0, sigma_w^2/fan_in)``, equal fan-in and fan-out):

* ``Dense(sigma_w, sigma_b)``: ``q -> sigma_w^2 q + sigma_b^2``, ``k -> sigma_w^2 k +
  sigma_b^2``, gain ``sigma_w^2`` (Poole et al. 2016, eq. 3);
* ``Phi(act)``: ``q -> E[phi(u)^2]``, ``k -> E[phi(u1) phi(u2)]`` with ``u`` Gaussian of
  variance ``q`` and correlation ``c``, gain ``E[phi'(u)^2]`` (Schoenholz et al. 2017);
* ``Residual(branch, alpha, shortcut)``: ``h -> shortcut · h + alpha · branch(h)``; the branch
  ends in a zero-mean random layer, independent of ``h``, so the cross terms vanish:
  ``q -> shortcut^2 q + alpha^2 q_branch``, the same for ``k``, gain ``shortcut^2 + alpha^2
  G_branch`` (Yang & Schoenholz 2017; DKS's form is ``shortcut = w``, ``alpha = sqrt(1-w^2)``,
  Martens et al. 2021);
* ``LayerNorm()``: ``q -> 1``, ``k -> k/q`` (``c`` kept), gain ``1/q`` (the division by the
  unit's scale; its projection of the mean is O(1/width));
* ``serial(*layers)`` and ``repeat(block, n)`` compose them; :func:`propagate` walks a net and
  returns every layer's state and the cumulative gain.

The plain MLP ``h^l = W^l phi(h^{l-1}) + b^l`` is ``serial(Dense, repeat(serial(Phi, Dense),
L - 1))``: :func:`propagate` then gives :func:`depthscope.theory.layerwise`'s numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from depthscope.errors import DepthscopeError
from depthscope.theory.gauss import expect2
from depthscope.theory.maps import ActLike, as_activation, moments


@dataclass(frozen=True)
class State:
    """The signal at one point of the net: second moment ``q``, two-input covariance ``k``."""

    q: float
    k: float

    @property
    def c(self) -> float:
        """The two inputs' correlation ``k / q``."""
        return self.k / self.q if self.q > 0 else 1.0


class Layer:
    """A layer of the algebra: its forward map of the state and its backward gain there."""

    def forward(self, s: State) -> State:
        raise NotImplementedError

    def gain(self, s: State) -> float:
        raise NotImplementedError


@dataclass(frozen=True)
class Dense(Layer):
    """``h -> W h + b`` with ``W_ij ~ N(0, sigma_w^2/fan_in)``, ``b_i ~ N(0, sigma_b^2)``."""

    sigma_w: float
    sigma_b: float = 0.0

    def __post_init__(self) -> None:
        if not (self.sigma_w > 0 and self.sigma_b >= 0):
            raise DepthscopeError(f"Dense needs sigma_w > 0 and sigma_b >= 0, got "
                                  f"{self.sigma_w!r}, {self.sigma_b!r}")

    def forward(self, s: State) -> State:
        w2, b2 = self.sigma_w**2, self.sigma_b**2
        return State(w2 * s.q + b2, w2 * s.k + b2)

    def gain(self, s: State) -> float:
        return self.sigma_w**2


@dataclass(frozen=True)
class Phi(Layer):
    """The activation ``phi`` applied unit by unit (any registered activation)."""

    act: ActLike

    def forward(self, s: State) -> State:
        a = as_activation(self.act)
        q = float(moments(a, np.array([s.q]))[0][0])
        if s.c >= 1.0:
            return State(q, q)
        k = float(expect2(a, a.phi, a.phi, np.array([s.q]), np.array([s.c]))[0])
        return State(q, k)

    def gain(self, s: State) -> float:
        return float(moments(as_activation(self.act), np.array([s.q]))[1][0])


@dataclass(frozen=True)
class Serial(Layer):
    """Layers applied in order."""

    layers: tuple[Layer, ...]

    def __post_init__(self) -> None:
        if not self.layers:
            raise DepthscopeError("serial() needs at least one layer")

    def forward(self, s: State) -> State:
        for layer in self.layers:
            s = layer.forward(s)
        return s

    def gain(self, s: State) -> float:
        total = 1.0
        for layer in self.layers:
            total *= layer.gain(s)
            s = layer.forward(s)
        return total


@dataclass(frozen=True)
class Residual(Layer):
    """``h -> shortcut · h + alpha · branch(h)``."""

    branch: Layer
    alpha: float = 1.0
    shortcut: float = 1.0

    def __post_init__(self) -> None:
        if not (self.alpha >= 0 and self.shortcut >= 0):
            raise DepthscopeError(f"Residual needs alpha >= 0 and shortcut >= 0, got "
                                  f"{self.alpha!r}, {self.shortcut!r}")

    def forward(self, s: State) -> State:
        out = self.branch.forward(s)
        a2, w2 = self.alpha**2, self.shortcut**2
        return State(w2 * s.q + a2 * out.q, w2 * s.k + a2 * out.k)

    def gain(self, s: State) -> float:
        return self.shortcut**2 + self.alpha**2 * self.branch.gain(s)


@dataclass(frozen=True)
class LayerNorm(Layer):
    """Each unit vector scaled to unit second moment (no learned gain or bias at init)."""

    def forward(self, s: State) -> State:
        return State(1.0, s.c)

    def gain(self, s: State) -> float:
        return 1.0 / s.q


def serial(*layers: Layer) -> Serial:
    """``layers`` applied in order (flattened one level)."""
    flat: list[Layer] = []
    for layer in layers:
        flat.extend(layer.layers if isinstance(layer, Serial) else (layer,))
    return Serial(tuple(flat))


def repeat(block: Layer, n: int) -> Serial:
    """``block`` applied ``n`` times."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DepthscopeError(f"repeat() needs a count >= 1, got {n!r}")
    return Serial((block,) * n)


def mlp(act: ActLike, sigma_w: float, sigma_b: float, depth: int) -> Serial:
    """The plain MLP of ``depth`` hidden layers: ``Dense`` then ``(Phi, Dense)`` × (depth-1)."""
    dense = Dense(sigma_w, sigma_b)
    if depth == 1:
        return serial(dense)
    return serial(dense, repeat(serial(Phi(act), dense), depth - 1))


def res_mlp(act: ActLike, sigma_w: float, sigma_b: float, blocks: int, alpha: float = 1.0,
            layernorm: bool = False) -> Serial:
    """A residual MLP: ``h -> h + alpha (W phi(h) + b)`` (pre-LayerNorm: ``phi(LN(h))``)
    repeated ``blocks`` times after an input ``Dense``."""
    branch = serial(*((LayerNorm(),) if layernorm else ()), Phi(act), Dense(sigma_w, sigma_b))
    return serial(Dense(sigma_w, sigma_b), repeat(Residual(branch, alpha), blocks))


@dataclass(frozen=True)
class Propagation:
    """Per top-level layer of a :class:`Serial` net (index ``i``): the state after it, its
    backward gain and the cumulative gain ``||dL/d input||^2 / ||dL/d output of i||^2``."""

    q: np.ndarray
    c: np.ndarray
    gain: np.ndarray
    cumulative: np.ndarray


def propagate(net: Layer, q0: float = 1.0, c0: float = 1.0) -> Propagation:
    """Walk ``net`` (its top-level layers) from inputs of second moment ``q0`` and
    correlation ``c0``."""
    if not (math.isfinite(q0) and q0 > 0 and -1.0 <= c0 <= 1.0):
        raise DepthscopeError(f"need q0 > 0 and c0 in [-1, 1], got {q0!r}, {c0!r}")
    layers: Sequence[Layer] = net.layers if isinstance(net, Serial) else (net,)
    s = State(float(q0), float(q0) * float(c0))
    q, c, gain = [], [], []
    for layer in layers:
        gain.append(layer.gain(s))
        s = layer.forward(s)
        q.append(s.q)
        c.append(s.c)
    g = np.asarray(gain)
    return Propagation(np.asarray(q), np.asarray(c), g, np.cumprod(g))
