"""Depth-aware activation transforms: Deep Kernel Shaping (DKS) and Tailored Activation
Transformations (TAT), for any registered activation.

The transformed activation is ``phi_hat(x) = gain (phi(scale x + shift) + offset)``
(``γ (φ(α x + β) + δ)``). With zero biases and scaled-uniform-orthogonal weights of unit
gain, a layer maps its input's length ``q`` by the *local Q map* and the correlation ``c`` of
two inputs by the *local C map*; at ``q = 1`` (``z ~ N(0, 1)``):

    Q(1) = E[φ̂(z)²]                 Q'(1) = E[φ̂(z) φ̂'(z) z]
    C(0) = E[φ̂(z)]² / Q(1)          C'(1) = E[φ̂'(z)²] / Q(1)     C''(1) = E[φ̂''(z)²] / Q(1)

(Martens et al. 2021, "Rapid training of deep neural networks without skip connections or
normalization layers using Deep Kernel Shaping", §4–5; Zhang et al. 2022, "Deep learning
without shortcuts: shaping the kernel with tailored rectifiers", §3–4.)

* **DKS** (:func:`dks_transform`): ``Q(1) = 1`` (γ), ``C(0) = 0`` (δ = −E[φ(αz+β)]),
  ``Q'(1) = q_slope`` and the network's maximal slope ``C'_f(1) = ζ`` — for an L-layer MLP
  each layer's ``C'(1) = ζ^(1/L)``; solves α, β.
* **TAT** for smooth φ (:func:`tat_transform`): ``Q(1) = 1``, ``Q'(1) = 1``, ``C'(1) = 1``
  and the network's maximal curvature ``C''_f(1) = τ`` — ``τ/L`` per layer for an MLP;
  solves α, β, δ.
* **TReLU** (:func:`tat_leaky_relu`): ``γ = sqrt(2/(1 + a²))`` (so ``Q(1) = 1``) and the
  network's ``C_f(0) = η``; solves the negative slope ``a``.

The network-level quantity comes from the network's subnetwork maximising function
(:mod:`depthscope.theory.shapes`), so ResNets with a shortcut weight are covered too.
Expectations use the split Gauss–Legendre rule of :mod:`depthscope.theory.gauss` (exact to
~1e-13 for these integrands), not a fixed 100 000-node rule.

**Canonical sign.** The maps only see ``φ̂`` through expectations over a symmetric ``z``, so
``(α, β, δ)`` and ``(−α, β, δ)`` are the same solution (``φ̂(−x)``); for φ point-symmetric about
``(0, c)`` (odd φ with ``c = 0``; sigmoid with ``c = 1/2``) so are ``(α, −β, −δ − 2c)``
(``−φ̂(−x)``). We return ``α > 0`` and, for point-symmetric φ, ``β ≥ 0``.

**Which root.** The equations can have several roots; like DKS's reference implementation we
try a fixed list of starting points (``α ∈ {1, 0.1}`` × ``β, δ ∈ {0, 1, −1}``, then seeded
random ones) with MINPACK's hybrid method and keep the first root that converges — and, for
TAT, whose steepest slope ``sup|φ̂'| = α γ sup|φ'|`` is below 2. DKS's reference code guards
against roots with unstable Q maps by ``α γ < 2``; we state the guard on ``φ̂`` itself, so it
means the same for ``sigmoid = (1 + tanh(x/2))/2`` as for tanh (dks's form rejects every
sigmoid root, and its code then returns the last root found).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from depthscope.activations import Activation, get
from depthscope.errors import DepthscopeError
from depthscope.theory.gauss import normal_rule
from depthscope.theory.maps import ActLike, as_activation
from depthscope.theory.shapes import MLP, NetworkShape, ShapeLike, as_shape

#: the activations DeepMind's ``dks`` package (Martens et al. 2021) also transforms: our name
#: -> its name for the same function (the peer that tests and ``benchmarks/transforms.py``
#: compare with)
DKS_PACKAGE_NAMES = {"tanh": "tanh", "softplus": "softplus", "sigmoid": "sigmoid",
                     "arctan": "atan", "softsign": "softsign", "erf": "erf",
                     "gelu": "gelu_exact"}
RESIDUAL_TOL = 1e-10  # |equation residual| a root must reach (after polishing)
_STARTS = {"scale": (1.0, 0.1), "shift": (0.0, 1.0, -1.0), "offset": (0.0, 1.0, -1.0),
           "negative_slope": (0.0, 0.5)}
_RANDOM_RANGE = {"scale": (0.0, 2.0), "shift": (-3.0, 3.0), "offset": (-3.0, 3.0),
                 "negative_slope": (0.0, 0.99)}
_TRIES = 50
_TAT_MAX_SLOPE = 2.0  # TAT roots need sup|phi_hat'| = alpha gamma sup|phi'| < 2 (see above)
_HOMOGENEOUS = ("relu", "leaky_relu")  # phi(a x) = a phi(x) for a > 0


@dataclass(frozen=True)
class LocalMaps:
    """The local Q and C maps of ``act`` at ``q = 1`` (module docstring)."""

    q_value: float  # Q(1)
    q_slope: float  # Q'(1)
    c_value_0: float  # C(0)
    c_slope_1: float  # C'(1)
    c_curvature_1: float  # C''(1) (nan where phi' jumps: phi'' holds a delta)


@dataclass(frozen=True)
class _Moments:
    """``E[g], E[g²], E[g g' z], E[g' z], E[g'²], E[g''²]`` of ``g = φ(αz + β)``, z ~ N(0,1)."""

    m1: float
    m2: float
    g_dg_z: float
    dg_z: float
    dg2: float
    d2g2: float

    def local(self, offset: float) -> tuple[float, LocalMaps]:
        """The gain giving ``Q(1) = 1`` for this offset, and the maps of the result."""
        q = self.m2 + 2.0 * offset * self.m1 + offset * offset  # E[(g + δ)²]
        if not q > 0:
            raise DepthscopeError("the transformed activation is identically zero")
        gain2 = 1.0 / q
        return math.sqrt(gain2), LocalMaps(
            q_value=1.0,
            q_slope=gain2 * (self.g_dg_z + offset * self.dg_z),
            c_value_0=gain2 * (self.m1 + offset) ** 2,
            c_slope_1=gain2 * self.dg2,
            c_curvature_1=gain2 * self.d2g2,
        )


def _moments(inner: Activation) -> _Moments:
    z, w = normal_rule(inner, np.array([1.0]), n=24)
    z, w = z[0], w[0]
    g, dg, d2g = inner.phi(z), inner.dphi(z), inner.d2phi(z)
    d2g2 = float(w @ (d2g * d2g)) if not inner.kinks else math.nan
    return _Moments(float(w @ g), float(w @ (g * g)), float(w @ (g * dg * z)),
                    float(w @ (dg * z)), float(w @ (dg * dg)), d2g2)


def local_maps(act: ActLike) -> LocalMaps:
    """``Q(1), Q'(1), C(0), C'(1), C''(1)`` of ``act`` as it is (no normalisation: ``Q(1)``
    is whatever ``E[φ(z)²]`` is and the C maps divide by it)."""
    a = as_activation(act)
    inner = get(a.name, **a.params).with_transform(scale=a.scale, shift=a.shift)
    mom = _moments(inner)
    gain, maps = mom.local(a.offset)
    q = (a.gain / gain) ** 2  # Q(1) of act itself
    return LocalMaps(q, maps.q_slope * q, maps.c_value_0, maps.c_slope_1, maps.c_curvature_1)


@dataclass(frozen=True)
class ShapedActivation:
    """A DKS/TAT-transformed activation: ``gain (φ(scale x + shift) + offset)``.

    ``quantity`` names the network-level value the method sets (``"C'(1)"``, ``"C''(1)"``,
    ``"C(0)"``); ``local_target`` is the per-layer value that gives ``network_target`` on
    ``network``, and ``network_value`` what the returned activation achieves there.
    """

    method: str  # "dks", "tat" or "tat_leaky_relu"
    base: str  # the activation transformed (label)
    activation: Activation
    scale: float
    shift: float
    offset: float
    gain: float
    negative_slope: float | None
    network: NetworkShape
    quantity: str
    local_target: float
    network_target: float
    network_value: float
    local: LocalMaps

    def rows(self) -> list[tuple[str, str]]:
        """(name, value) pairs for a table: parameters, then invariants."""
        out = [("method", self.method), ("network", str(self.network)),
               ("activation", self.activation.label)]
        if self.negative_slope is not None:
            out.append(("negative slope a", f"{self.negative_slope:.10g}"))
        out += [("input scale alpha", f"{self.scale:.10g}"),
                ("input shift beta", f"{self.shift:.10g}"),
                ("output offset delta", f"{self.offset:.10g}"),
                ("output gain gamma", f"{self.gain:.10g}")]
        loc = self.local
        out += [("Q(1)", f"{loc.q_value:.12g}"), ("Q'(1)", f"{loc.q_slope:.12g}"),
                ("C(0)", f"{loc.c_value_0:.6g}"), ("C'(1)", f"{loc.c_slope_1:.12g}"),
                ("C''(1)", "undefined (phi' jumps)" if math.isnan(loc.c_curvature_1)
                 else f"{loc.c_curvature_1:.12g}"),
                (f"network {self.quantity} (target)",
                 f"{self.network_value:.10g} ({self.network_target:g})")]
        return out


def _solve_increasing(fn: Callable[[float], float], target: float, lo: float,
                      hi: float | None, what: str) -> float:
    """``x`` in ``[lo, hi]`` with ``fn(x) = target`` for increasing ``fn`` (``hi=None``:
    doubled until bracketed)."""
    if fn(lo) > target:
        raise DepthscopeError(f"{what}: target {target:g} is below the network's least value "
                              f"{fn(lo):.6g}")
    if hi is None:
        hi = max(2.0 * lo, 1.0)
        while fn(hi) < target:
            hi *= 2.0
            if hi > 1e12:
                raise DepthscopeError(f"{what}: target {target:g} is out of reach")
    return float(optimize.brentq(lambda x: fn(x) - target, lo, hi, xtol=1e-15, rtol=1e-15,
                                 maxiter=500))


def _check_target(name: str, value: float, lo: float, hi: float = math.inf,
                  closed: bool = False) -> None:
    ok = (lo <= value <= hi) if closed else (value > lo and value <= hi)
    if not (math.isfinite(value) and ok):
        bound = f"in [{lo:g}, {hi:g}]" if closed else f"> {lo:g}"
        raise DepthscopeError(f"{name} must be a number {bound}, got {value!r}")


def _starts(names: Sequence[str]) -> list[tuple[float, ...]]:
    fixed = list(itertools.product(*(_STARTS[n] for n in names)))
    rng = np.random.default_rng(123)  # own stream: never the user's RNG
    randoms = [tuple(rng.uniform(*_RANDOM_RANGE[n]) for n in names)
               for _ in range(_TRIES - len(fixed))]
    return fixed + randoms


def _solve(names: Sequence[str], residual: Callable[[np.ndarray], np.ndarray],
           accept: Callable[[np.ndarray], bool], label: str) -> np.ndarray:
    for start in _starts(names):
        try:
            sol = optimize.root(residual, np.asarray(start), method="hybr")
        except (DepthscopeError, FloatingPointError, ValueError):
            continue
        if not (sol.success and np.all(np.isfinite(sol.x))):
            continue
        polished = optimize.root(residual, sol.x, method="hybr", options={"xtol": 1e-14})
        x = polished.x if np.all(np.isfinite(polished.x)) else sol.x
        if np.max(np.abs(residual(x))) < RESIDUAL_TOL and accept(x):
            return x
    raise DepthscopeError(f"{label}: no parameters reach the targets from {_TRIES} starting "
                          "points; try a milder target (zeta closer to 1, smaller tau)")


def _centre(base: Activation) -> float | None:
    """``φ(0)`` if φ is point-symmetric about ``(0, φ(0))`` (``φ(x) + φ(−x) = 2 φ(0)``: odd
    φ, sigmoid), else None."""
    x = np.linspace(0.05, 8.0, 160)
    centre = float(base.phi(np.float64(0.0)))
    gap = base.phi(x) + base.phi(-x) - 2.0 * centre
    return centre if np.max(np.abs(gap)) < 1e-12 * max(1.0, abs(centre)) else None


def _canonical(base: Activation, scale: float, shift: float, offset: float
               ) -> tuple[float, float, float]:
    """``α > 0``; for point-symmetric φ (centre ``c = φ(0)``) also ``β ≥ 0``, using the
    mirror ``(β, δ) -> (−β, −δ − 2c)`` (module docstring)."""
    scale = abs(scale)
    centre = _centre(base)
    if centre is not None and shift < 0:
        shift, offset = -shift, -offset - 2.0 * centre
    return scale, shift + 0.0, offset + 0.0


def _result(method: str, base: Activation, params: dict[str, float], network: NetworkShape,
            quantity: str, local_target: float, network_target: float,
            network_of: Callable[[LocalMaps], float]) -> ShapedActivation:
    """Assemble the transformed activation from ``scale, shift, offset`` (``gain`` from
    ``Q(1) = 1``) and measure what it achieves."""
    slope = params.get("negative_slope")
    root = base if slope is None else get("leaky_relu", negative_slope=slope)
    inner = root.with_transform(scale=params["scale"], shift=params["shift"])
    gain, maps = _moments(inner).local(params["offset"])
    if "gain" in params:
        gain = params["gain"]
    act = inner.with_transform(gain=gain, offset=params["offset"])
    return ShapedActivation(method, base.label, act, params["scale"], params["shift"],
                            params["offset"], gain, slope, network, quantity, local_target,
                            network_target, network_of(maps), maps)


def _plain(act: ActLike, what: str) -> Activation:
    base = as_activation(act)
    if not base.is_affine_default:
        raise DepthscopeError(f"{what} transforms an untransformed activation; pass "
                              f"{base.name!r} rather than {base.label}")
    return base


def dks_transform(act: ActLike, depth: ShapeLike, *, zeta: float = 1.5,
                  q_slope: float = 1.0) -> ShapedActivation:
    """Deep Kernel Shaping of ``act`` for a network of ``depth`` layers (or a network shape).

    Args:
        act: a registered activation name or Activation (smooth or with kinks; for
            ``leaky_relu`` the negative slope and the shift are solved, scale 1).
        depth: the number of nonlinear layers of an MLP, or a :class:`NetworkShape`.
        zeta: the network's maximal slope ``C'_f(1)`` (Martens et al.'s ζ), > 1.
        q_slope: each layer's ``Q'(1)`` (1 in the paper).

    Example: ``dks_transform("tanh", 50).scale`` is about 0.13 (input scale well below 1).
    """
    base = _plain(act, "dks_transform")
    net = as_shape(depth)
    _check_target("zeta", zeta, 1.0)
    _check_target("q_slope", q_slope, 0.0)
    if base.name == "relu":
        raise DepthscopeError(
            "relu under DKS: relu is positively homogeneous, so Q'(1) and C'(1) cannot both be "
            "set; use 'leaky_relu' (DKS solves its negative slope) or tat_leaky_relu()")
    local = _solve_increasing(lambda s: net.subnet_max(1.0, lambda y: s * y), zeta, 1.0, None,
                              "DKS maximal slope")
    leaky = base.name == "leaky_relu"
    names = ("negative_slope", "shift") if leaky else ("scale", "shift")

    def params_of(p: np.ndarray) -> tuple[dict[str, float], LocalMaps]:
        if leaky:
            if not 0.0 <= p[0] < 1.0:
                raise DepthscopeError("negative slope out of [0, 1)")
            inner = get("leaky_relu", negative_slope=float(p[0])).with_transform(
                shift=float(p[1]))
            par = {"negative_slope": float(p[0]), "scale": 1.0, "shift": float(p[1])}
        else:
            inner = base.with_transform(scale=float(p[0]), shift=float(p[1]))
            par = {"scale": float(p[0]), "shift": float(p[1])}
        mom = _moments(inner)
        par["offset"] = -mom.m1
        return par, mom.local(-mom.m1)[1]

    def residual(p: np.ndarray) -> np.ndarray:
        maps = params_of(p)[1]
        return np.array([maps.q_slope - q_slope, maps.c_slope_1 - local])

    x = _solve(names, residual, lambda p: True, f"DKS for {base.label}")
    par = params_of(x)[0]
    if not leaky:
        par["scale"], par["shift"], par["offset"] = _canonical(base, par["scale"],
                                                               par["shift"], par["offset"])
    return _result("dks", base, par, net, "C'(1)", local, zeta,
                   lambda m: net.subnet_max(1.0, lambda y: m.c_slope_1 * y))


def tat_transform(act: ActLike, depth: ShapeLike, *, tau: float = 0.3) -> ShapedActivation:
    """Tailored Activation Transformation of a smooth ``act`` (Zhang et al. 2022, §4.2).

    Args:
        act: a registered activation with no kinks (for rectifiers use
            :func:`tat_leaky_relu`).
        depth: the number of nonlinear layers of an MLP, or a :class:`NetworkShape`.
        tau: the network's maximal curvature ``C''_f(1)`` (> 0).

    Returns:
        :class:`ShapedActivation`: ``gain (act(scale x + shift) + offset)`` whose local maps
        keep ``q`` and ``c = 1`` fixed with slope 1 (``Q'(1) = C'(1) = 1``) and whose
        network's curvature ``C''_f(1)`` is ``tau``.

    Example:
        >>> from depthscope import tat_transform
        >>> s = tat_transform("tanh", 50)
        >>> round(s.local.c_slope_1, 9), round(s.network_value, 9)
        (1.0, 0.3)
    """
    base = _plain(act, "tat_transform")
    net = as_shape(depth)
    _check_target("tau", tau, 0.0)
    if base.kinks:
        raise DepthscopeError(
            f"TAT's smooth form needs phi'' to exist, and {base.name} has a kink; use "
            "tat_leaky_relu() for rectifiers or dks_transform()")
    local = _solve_increasing(lambda c: net.subnet_max(0.0, lambda y: c + y), tau, 0.0, None,
                              "TAT maximal curvature")

    def residual(p: np.ndarray) -> np.ndarray:
        mom = _moments(base.with_transform(scale=float(p[0]), shift=float(p[1])))
        maps = mom.local(float(p[2]))[1]
        return np.array([maps.q_slope - 1.0, maps.c_slope_1 - 1.0,
                         maps.c_curvature_1 - local])

    slope = base.meta.max_slope

    def stable(p: np.ndarray) -> bool:
        mom = _moments(base.with_transform(scale=float(p[0]), shift=float(p[1])))
        return abs(p[0]) * mom.local(float(p[2]))[0] * slope < _TAT_MAX_SLOPE

    x = _solve(("scale", "shift", "offset"), residual, stable, f"TAT for {base.label}")
    scale, shift, offset = _canonical(base, *map(float, x))
    return _result("tat", base, {"scale": scale, "shift": shift, "offset": offset}, net,
                   "C''(1)", local, tau,
                   lambda m: net.subnet_max(0.0, lambda y: m.c_curvature_1 + y))


def leaky_relu_c_map(c: float, negative_slope: float) -> float:
    """The local C map of ``sqrt(2/(1+a²)) · leaky_relu_a`` (Zhang et al. 2022, eq. 9):
    ``C(c) = [(1−a)² (sqrt(1−c²) + (π − arccos c) c)/π + 2 a c] / (1 + a²)``."""
    a = negative_slope
    c = min(max(c, -1.0), 1.0)
    return ((1 - a) ** 2 * (math.sqrt(1 - c * c) + (math.pi - math.acos(c)) * c) / math.pi
            + 2 * a * c) / (1 + a * a)


def _relu_depth_for(eta: float) -> int | None:
    """The least MLP depth whose ReLU network reaches ``C_f(0) >= eta`` (None: over 10^6)."""
    c, depth = 0.0, 0
    while depth < 1_000_000:
        c, depth = leaky_relu_c_map(c, 0.0), depth + 1
        if c >= eta:
            return depth
    return None


def tat_leaky_relu(depth: ShapeLike, *, eta: float = 0.9) -> ShapedActivation:
    """TAT's "TReLU": ``sqrt(2/(1+a²)) · leaky_relu_a`` with the network's ``C_f(0) = η``.

    Args:
        depth: the number of nonlinear layers of an MLP, or a :class:`NetworkShape`.
        eta: the network's maximal ``C_f(0)``, in (0, 1) (0.9 in the paper).

    Returns:
        :class:`ShapedActivation` with the ``negative_slope`` ``a`` whose network keeps
        ``C_f(0) = eta`` (inputs at right angles end at correlation ``eta``, not 1).

    Example:
        >>> from depthscope import tat_leaky_relu
        >>> s = tat_leaky_relu(50)
        >>> round(s.negative_slope, 4), round(s.gain, 4), round(s.network_value, 9)
        (0.4305, 1.2989, 0.9)

    References:
        Zhang, Martens, Grosse et al. 2022, "Deep learning without shortcuts", §4.3.
    """
    net = as_shape(depth)
    _check_target("eta", eta, 0.0, 1.0, closed=True)
    if eta == 0.0:
        raise DepthscopeError("eta = 0 asks for a linear network (negative slope 1); choose "
                              "eta in (0, 1)")
    worst = net.subnet_max(0.0, lambda c: leaky_relu_c_map(c, 0.0))  # a = 0: ReLU, the most
    if eta >= worst:
        need = _relu_depth_for(eta)
        where = (f"an MLP of depth >= {need}" if need is not None and isinstance(net, MLP)
                 else "a deeper network")
        raise DepthscopeError(
            f"eta = {eta:g} is out of reach for the {net}: even ReLU (a = 0) gives C_f(0) = "
            f"{worst:.4g}; use {where} or a smaller eta")
    a = 1.0 - _solve_increasing(  # C_f(0) grows as the slope a falls: solve in b = 1 - a
        lambda b: net.subnet_max(0.0, lambda c: leaky_relu_c_map(c, 1.0 - b)), eta, 0.0, 1.0,
        "TReLU negative slope")
    gain = math.sqrt(2.0 / (1.0 + a * a))
    return _result("tat_leaky_relu", get("leaky_relu"),
                   {"negative_slope": a, "scale": 1.0, "shift": 0.0, "offset": 0.0,
                    "gain": gain}, net, "C(0)", leaky_relu_c_map(0.0, a), eta,
                   lambda m: net.subnet_max(0.0, lambda c: leaky_relu_c_map(c, a)))


def depth_transform(act: ActLike, method: str, depth: ShapeLike,
                    **options: float) -> ShapedActivation:
    """DKS (``method="dks"``; options ``zeta``, ``q_slope``) or TAT (``"tat"``; ``tau``, and
    for ReLU and leaky ReLU the TReLU of :func:`tat_leaky_relu` with ``eta``) of ``act``."""
    allowed = {"dks": ("zeta", "q_slope"), "tat": ("tau", "eta")}
    if method not in allowed:
        raise DepthscopeError(f"method must be 'dks' or 'tat', got {method!r}")
    unknown = set(options) - set(allowed[method])
    if unknown:
        raise DepthscopeError(f"{method} takes {', '.join(allowed[method])}; got "
                              f"{', '.join(sorted(unknown))}")
    if method == "dks":
        return dks_transform(act, depth, **options)
    base = as_activation(act)
    if base.name in ("relu", "leaky_relu") and base.is_affine_default:
        return tat_leaky_relu(depth, **{k: v for k, v in options.items() if k == "eta"})
    return tat_transform(act, depth, **{k: v for k, v in options.items() if k == "tau"})

