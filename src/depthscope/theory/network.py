"""The network as the unit of theory: composable layers whose maps give the mean field of
plain, residual and normalised nets (in the style of neural-tangents' ``stax``).

Every layer maps the *state* of the signal at its input to the state at its output: the
second moment ``q`` of a unit (over the random weights), the covariance ``k = q c`` of the
same unit under two inputs (``c`` their correlation), and it has a backward *gain*: the
expected ratio ``||dL/d input||^2 / ||dL/d output||^2`` at init (infinite width, Gaussian
weights ``W_ij ~ N(0, sigma_w^2/fan_in)``, equal fan-in and fan-out):

* ``Dense(sigma_w, sigma_b)``: ``q -> sigma_w^2 q + sigma_b^2``, ``k -> sigma_w^2 k +
  sigma_b^2``, gain ``sigma_w^2`` (Poole et al. 2016, eq. 3);
* ``Phi(act)``: ``q -> K(q) = E[phi(u)^2]``, ``k -> K2(q, c) = E[phi(u1) phi(u2)]`` with ``u``
  Gaussian of variance ``q`` and correlation ``c``, gain ``E[phi'(u)^2]`` (Schoenholz et al.
  2017);
* ``Residual(branch, alpha, shortcut)``: ``h -> shortcut · h + alpha · branch(h)``; the branch
  ends in a zero-mean random layer, independent of ``h``, so the cross terms vanish:
  ``q -> shortcut^2 q + alpha^2 q_branch``, the same for ``k``, gain ``shortcut^2 + alpha^2
  G_branch`` (Yang & Schoenholz 2017; DKS's form is ``shortcut = w``, ``alpha = sqrt(1-w^2)``,
  Martens et al. 2021);
* ``LayerNorm()``: ``q -> 1``, ``k -> k/q`` (``c`` kept), gain ``1/q`` (the division by the
  unit's scale; its projection of the mean is O(1/width));
* ``serial(*layers)`` and ``repeat(block, n)`` compose them; :func:`propagate` walks a net and
  returns every layer's state and the cumulative gain.

**Local maps and the chain rule.** The state also carries the derivatives of the output with
respect to the *network's* input: ``q_slope = dq/dq0``, ``c_slope = dc/dc0`` and ``c_curvature
= d^2c/dc0^2`` (the C map's slope and curvature that DKS and TAT solve on; Martens et al. 2021,
Zhang et al. 2022). Each layer states only its *local* derivatives (:meth:`Layer.local`);
:meth:`Layer.forward` applies the chain rule ``(f∘g)' = f'(g) g'``, ``(f∘g)'' = f''(g) g'^2 +
f'(g) g''`` once for all of them. The local ones are, at fixed input ``q``:

* Dense: ``dq = sigma_w^2``, ``dc = sigma_w^2 q / q_out``, curvature 0;
* Phi: ``dq = G(q) = dK/dq``, ``dc = q Kd2(q, c) / K(q)`` and curvature ``q^2 E[phi''(u1)
  phi''(u2)] / K(q)`` (Price's theorem: ``d K2 / dc = q E[phi'(u1) phi'(u2)]``); the curvature
  is ``nan`` for activations with kinks (``phi''`` holds a delta function there);
* Residual: ``dq = shortcut^2 + alpha^2 dq_branch``, ``dc = (shortcut^2 q + alpha^2 q_branch
  dc_branch) / q_out``, curvature ``alpha^2 q_branch d2c_branch / q_out``; with DKS's weights at
  ``q = q_branch`` the slope is ``w^2 + (1 - w^2) C'_branch``;
* LayerNorm: ``dq = 0``, ``dc = 1``, curvature 0.

Every quantity is a NumPy array: ``sigma_w``, ``sigma_b`` (and ``q0``, ``c0``) may be arrays of
one shape, and the whole net is evaluated on that grid at once.

The plain MLP ``h^l = W^l phi(h^{l-1}) + b^l`` is ``serial(Dense, repeat(serial(Phi, Dense),
L - 1))`` (its block is :func:`mlp_block`); :mod:`depthscope.theory.blocks` solves a repeated
block's fixed points, depth scales and phase, and every mean-field number of the plain MLP
(:func:`depthscope.theory.depth_scales` and the rest) is that solver on :func:`mlp_block`.

**Evaluation rules.** A state may ask to be evaluated on the tabulated maps
(``tabulated=True``: the activation's spline table for ``K, Kd, G`` and a Chebyshev table for
``K2, Kd2`` for ``c`` in ``[0, 1]``, :mod:`depthscope.theory.maps`) instead of exact
quadrature, and to skip the curvature (``curvature=False``: ``nan``); both flags travel with
the state. The solvers of :mod:`depthscope.theory.blocks` use them to bracket roots cheaply
before polishing them exactly; :func:`propagate` always evaluates exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from depthscope.activations import Activation
from depthscope.errors import DepthscopeError
from depthscope.theory.maps import (
    ActLike,
    as_activation,
    kernel_products,
    kernel_table,
    ln_q_range,
    moments,
    table,
)

BIVARIATE_NODES = 10  # Gauss-Legendre nodes per panel of the two-input expectations


def _array(x: object) -> np.ndarray:
    return np.asarray(x, dtype=float)


def check_sigmas(sigma_w: object, sigma_b: object) -> tuple[np.ndarray, np.ndarray]:
    """``(sigma_w, sigma_b)`` as float arrays (numbers or grids), refused unless every value is
    finite with ``sigma_w > 0`` and ``sigma_b >= 0``: standard deviations, ``W_ij ~ N(0,
    sigma_w^2/fan_in)``, ``b_i ~ N(0, sigma_b^2)``. The message names the first bad value."""
    w, b = _array(sigma_w), _array(sigma_b)
    bad_w, bad_b = w[~(np.isfinite(w) & (w > 0))], b[~(np.isfinite(b) & (b >= 0))]
    if bad_w.size or bad_b.size:
        got = f"sigma_w = {bad_w.flat[0]:g}" if bad_w.size else f"sigma_b = {bad_b.flat[0]:g}"
        raise DepthscopeError(f"need finite sigma_w > 0 and sigma_b >= 0 (standard deviations, "
                              f"not variances); got {got}")
    return w, b


@dataclass(frozen=True)
class State:
    """The signal at one point of the net: second moment ``q``, two-input covariance ``k``,
    and the derivatives of ``q`` and ``c`` with respect to the net's input (module docstring).
    Every field is an array of the grid's shape (0-d for one point; the derivatives' and the
    gain's defaults are plain numbers)."""

    q: np.ndarray
    k: np.ndarray
    q_slope: np.ndarray | float = 1.0
    c_slope: np.ndarray | float = 1.0
    c_curvature: np.ndarray | float = 0.0
    gain: np.ndarray | float = 1.0
    tabulated: bool = False
    curvature: bool = True

    @classmethod
    def start(cls, q0: object, c0: object = 1.0) -> State:
        """The net's input: second moment ``q0``, correlation ``c0`` (arrays broadcast)."""
        q, c = np.broadcast_arrays(_array(q0), _array(c0))
        if not (np.all(np.isfinite(q)) and np.all(q >= 0) and np.all(np.abs(c) <= 1.0)):
            raise DepthscopeError(f"need q0 >= 0 (a second moment) and c0 in [-1, 1], got "
                                  f"{q0!r}, {c0!r}")
        return cls(q.copy(), q * c)

    @property
    def c(self) -> np.ndarray:
        """The two inputs' correlation ``k / q`` (1 where ``q = 0``)."""
        if self.k is self.q:  # one input
            return np.ones(np.shape(self.q))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.q > 0, self.k / np.where(self.q > 0, self.q, 1.0), 1.0)

    def restart(self) -> State:
        """The same ``q``, ``k`` as a new input (derivatives reset, rules kept): for local
        maps."""
        return State(self.q, self.k, tabulated=self.tabulated, curvature=self.curvature)


def _chain(s: State, out: State) -> State:
    """``out`` (local derivatives and gain) after ``s`` (the net's so far): the chain rule."""
    return State(out.q, out.k, out.q_slope * s.q_slope, out.c_slope * s.c_slope,
                 out.c_curvature * s.c_slope**2 + out.c_slope * s.c_curvature,
                 out.gain * s.gain, s.tabulated, s.curvature)


class Layer:
    """A layer of the algebra: its local map of the state and its backward gain there."""

    def local(self, s: State) -> State:
        """The output state, with the *local* derivatives (with respect to this layer's
        input) in its slope and curvature fields and this layer's backward gain ``E
        ||dL/d input||^2 / ||dL/d output||^2`` in ``gain``."""
        raise NotImplementedError

    def gain(self, s: State) -> np.ndarray:
        """``E ||dL/d input||^2 / ||dL/d output||^2`` at input ``s``."""
        return self.local(s).gain

    def forward(self, s: State) -> State:
        """The output state, its derivatives and gain chained with the input's."""
        return _chain(s, self.local(s))

    def select(self, shape: tuple[int, ...], index: np.ndarray) -> Layer:
        """This layer at the points ``index`` of its parameter grid broadcast to ``shape``
        and flattened (a layer without parameters is itself)."""
        return self


@dataclass(frozen=True)
class Dense(Layer):
    """``h -> W h + b`` with ``W_ij ~ N(0, sigma_w^2/fan_in)``, ``b_i ~ N(0, sigma_b^2)``
    (Gaussian or scaled-orthogonal ``W``: the same maps at infinite width)."""

    sigma_w: float | np.ndarray
    sigma_b: float | np.ndarray = 0.0

    def __post_init__(self) -> None:
        check_sigmas(self.sigma_w, self.sigma_b)

    def local(self, s: State) -> State:
        w2, b2 = _array(self.sigma_w) ** 2, _array(self.sigma_b) ** 2
        q = w2 * s.q + b2
        with np.errstate(divide="ignore", invalid="ignore"):
            c_slope = np.where(q > 0, w2 * s.q / q, 1.0)
        return State(q, w2 * s.k + b2, w2 + 0.0 * q, c_slope, np.zeros_like(q), w2 + 0.0 * q)

    def select(self, shape: tuple[int, ...], index: np.ndarray) -> Dense:
        def take(x: float | np.ndarray) -> np.ndarray:
            return np.broadcast_to(_array(x), shape).ravel()[index]

        return Dense(take(self.sigma_w), take(self.sigma_b))


@dataclass(frozen=True)
class Phi(Layer):
    """The activation ``phi`` applied unit by unit (any registered activation, transformed
    ones included)."""

    act: ActLike

    def __post_init__(self) -> None:
        as_activation(self.act)  # an unknown name fails here, with the registry's message

    @property
    def activation(self) -> Activation:
        return as_activation(self.act)

    def local(self, s: State) -> State:
        a = self.activation
        k, kd, dk = table(a)(s.q) if s.tabulated else moments(a, s.q)
        c = s.c
        smooth = s.curvature and not a.kinks and not s.tabulated
        apart = c < 1.0
        curvature: np.ndarray | float = math.nan
        if not apart.any():  # c = 1: the one-input moments, as they are
            k2, kd2 = k, kd
            if smooth:
                curvature = s.q**2 * kernel_products(a, s.q, c, (a.d2phi,))[0]
        elif s.tabulated:
            k2, kd2 = (np.broadcast_to(x, c.shape).copy() for x in (k, kd))
            q = np.broadcast_to(s.q, c.shape)[apart]
            k2[apart], kd2[apart] = kernel_table(a, *ln_q_range(q))(q, c[apart], k2[apart])
        else:
            fns = (a.phi, a.dphi, a.d2phi) if smooth else (a.phi, a.dphi)
            k2, kd2, *kdd2 = kernel_products(a, s.q, c, fns, n=BIVARIATE_NODES)
            if kdd2:
                curvature = s.q**2 * kdd2[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            return State(k, k2, dk, s.q * kd2 / k, curvature / k, kd)


@dataclass(frozen=True)
class Serial(Layer):
    """Layers applied in order."""

    layers: tuple[Layer, ...]

    def __post_init__(self) -> None:
        if not self.layers:
            raise DepthscopeError("serial() needs at least one layer")

    def local(self, s: State) -> State:
        out = s.restart()
        for layer in self.layers:
            out = layer.forward(out)
        return out

    def select(self, shape: tuple[int, ...], index: np.ndarray) -> Serial:
        return Serial(tuple(layer.select(shape, index) for layer in self.layers))


@dataclass(frozen=True)
class Residual(Layer):
    """``h -> shortcut · h + alpha · branch(h)``."""

    branch: Layer
    alpha: float = 1.0
    shortcut: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.alpha) and self.alpha >= 0
                and math.isfinite(self.shortcut) and self.shortcut >= 0):
            raise DepthscopeError(f"Residual needs alpha >= 0 and shortcut >= 0, got "
                                  f"{self.alpha!r}, {self.shortcut!r}")

    def local(self, s: State) -> State:
        out = self.branch.local(s)
        a2, w2 = self.alpha**2, self.shortcut**2
        q = w2 * s.q + a2 * out.q
        with np.errstate(divide="ignore", invalid="ignore"):
            return State(q, w2 * s.k + a2 * out.k, w2 + a2 * out.q_slope,
                         (w2 * s.q + a2 * out.q * out.c_slope) / q,
                         a2 * out.q * out.c_curvature / q, w2 + a2 * out.gain)

    def select(self, shape: tuple[int, ...], index: np.ndarray) -> Residual:
        return Residual(self.branch.select(shape, index), self.alpha, self.shortcut)


@dataclass(frozen=True)
class LayerNorm(Layer):
    """Each unit vector scaled to unit second moment (no learned gain or bias at init)."""

    def local(self, s: State) -> State:
        one = np.ones_like(s.q)
        with np.errstate(divide="ignore"):  # q = 0: a zero vector, its scale's gain unbounded
            return State(one, s.c, 0.0 * one, one, 0.0 * one, 1.0 / s.q)


def serial(*layers: Layer) -> Serial:
    """``layers`` applied in order (flattened one level)."""
    flat: list[Layer] = []
    for layer in layers:
        if not isinstance(layer, Layer):
            raise DepthscopeError(f"serial() takes layers (Dense, Phi, Residual, LayerNorm, "
                                  f"Serial), got {layer!r}")
        flat.extend(layer.layers if isinstance(layer, Serial) else (layer,))
    return Serial(tuple(flat))


def repeat(block: Layer, n: int) -> Serial:
    """``block`` applied ``n`` times."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DepthscopeError(f"repeat() needs a count >= 1, got {n!r}")
    return Serial((block,) * n)


def mlp_block(act: ActLike, sigma_w: object, sigma_b: object = 0.0) -> Serial:
    """The plain MLP's repeated block ``h -> W phi(h) + b``: ``serial(Phi, Dense)``."""
    return serial(Phi(act), Dense(sigma_w, sigma_b))


def mlp(act: ActLike, sigma_w: float, sigma_b: float, depth: int) -> Serial:
    """The plain MLP of ``depth`` hidden layers: ``Dense`` then :func:`mlp_block` ×
    (depth-1)."""
    dense = Dense(sigma_w, sigma_b)
    if depth == 1:
        return serial(dense)
    return serial(dense, repeat(mlp_block(act, sigma_w, sigma_b), depth - 1))


def residual_block(act: ActLike, sigma_w: float, sigma_b: float, alpha: float = 1.0,
                   layernorm: bool = False) -> Residual:
    """``h -> h + alpha (W phi(h) + b)`` (pre-LayerNorm: ``phi(LN(h))``)."""
    branch = serial(*((LayerNorm(),) if layernorm else ()), Phi(act), Dense(sigma_w, sigma_b))
    return Residual(branch, alpha)


def res_mlp(act: ActLike, sigma_w: float, sigma_b: float, blocks: int, alpha: float = 1.0,
            layernorm: bool = False) -> Serial:
    """A residual MLP: :func:`residual_block` repeated ``blocks`` times after an input
    ``Dense``."""
    block = residual_block(act, sigma_w, sigma_b, alpha, layernorm)
    return serial(Dense(sigma_w, sigma_b), repeat(block, blocks))


@dataclass(frozen=True)
class Propagation:
    """Per top-level layer ``i`` of a net (first axis), on the grid (further axes): the state
    after it, its backward gain, the cumulative gain ``||dL/d input||^2 / ||dL/d output of
    i||^2``, and the network's C-map slope and curvature ``dc_i/dc0``, ``d^2c_i/dc0^2``."""

    q: np.ndarray
    c: np.ndarray
    gain: np.ndarray
    cumulative: np.ndarray
    c_slope: np.ndarray
    c_curvature: np.ndarray


def propagate(net: Layer, q0: object = 1.0, c0: object = 1.0) -> Propagation:
    """Walk ``net`` (its top-level layers) from inputs of second moment ``q0`` and
    correlation ``c0``.

    Example: ``propagate(res_mlp("tanh", 1.0, 0.3, 50, alpha=50**-0.5), q0=1.0).cumulative``.
    """
    if not isinstance(net, Layer):
        raise DepthscopeError(f"propagate() takes a network built from depthscope.theory."
                              f"network's layers, got {net!r}")
    layers: Sequence[Layer] = net.layers if isinstance(net, Serial) else (net,)
    s = State.start(q0, c0)
    rows: list[tuple[np.ndarray, ...]] = []
    for layer in layers:
        out = layer.local(s)
        s = _chain(s, out)
        rows.append(np.broadcast_arrays(s.q, s.c, out.gain, s.gain, s.c_slope, s.c_curvature))
    return Propagation(*(np.stack(col) for col in zip(*rows, strict=True)))
