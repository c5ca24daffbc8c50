"""The activation object: one closed-form definition, evaluated in torch or NumPy.

An activation is a base definition ``phi0`` (value, first and second derivative written once,
in ``sigmoidal.py``, ``logarithmic.py`` and ``rectifiers.py``) under the affine transform of
Martens et al. (2021, DKS) and Zhang et al. (2022, TAT)::

    phi(x) = gain * (phi0(scale * x + shift) + offset)
    phi'(x) = gain * scale * phi0'(scale * x + shift)
    phi''(x) = gain * scale**2 * phi0''(scale * x + shift)

so ``tanh(n x)`` is ``get("tanh", scale=n)`` and LeCun's ``1.7159 tanh(2x/3)`` is
``get("tanh", scale=2/3, gain=1.7159)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np

from depthscope.activations.ops import NUMPY, Array, Ops, ops_for

Formula = Callable[[Array, Ops], Array]
ValueFormula = Callable[[Array, Array, Ops], Array]  # (u, phi0(u), ops) -> phi0'(u)
TailKind = Literal["zero", "constant", "gaussian", "exponential", "power"]


@dataclass(frozen=True)
class Tail:
    """How ``|phi'(x)|`` behaves as ``x`` goes to one infinity.

    ``zero``: identically 0; ``constant``: tends to a non-zero constant; ``gaussian``:
    ``~exp(-rate x^2)``; ``exponential``: ``~exp(-rate |x|)``; ``power``:
    ``~|x|^-exponent (log|x|)^-log_power`` (subexponential, the essay's "subgeometric").
    """

    kind: TailKind
    rate: float | None = None
    log_power: float = 0.0

    def describe(self) -> str:
        if self.kind == "power":
            text = f"power |x|^-{self.rate:g}"
            return text + (f" log^-{self.log_power:g}" if self.log_power else "")
        if self.kind in ("exponential", "gaussian"):
            return f"{self.kind} (rate {self.rate:g})"
        return self.kind

    def scaled(self, scale: float) -> Tail:
        """The tail of ``phi0(scale x)``: rates grow by ``scale`` (``scale^2`` if Gaussian)."""
        if self.kind == "exponential":
            return Tail(self.kind, self.rate * scale)
        if self.kind == "gaussian":
            return Tail(self.kind, self.rate * scale**2)
        return self


@dataclass(frozen=True)
class Definition:
    """A base activation ``phi0`` with its closed-form derivatives and exact facts.

    Formulas receive the array and the namespace (:mod:`depthscope.activations.ops`). They
    must be finite and correct for every finite input; the values at ``±inf`` come from
    ``limits`` (pairs ``(at -inf, at +inf)`` for phi, phi', phi''), so no formula needs guards
    against ``inf/inf``.
    """

    name: str
    phi: Formula
    dphi: Formula
    d2phi: Formula
    limits: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    odd: bool
    monotone: bool
    tails: tuple[Tail, Tail]
    kinks: tuple[float, ...] = ()  # points where phi' jumps
    cusps: tuple[float, ...] = ()  # points where phi' is continuous but phi'' jumps
    formula: str = ""
    reference: str = ""
    # phi0'(u) from u and y = phi0(u) for the compiled backward, where reusing the forward's
    # output saves a transcendental (logsig: no log1p; gelu: no erf; silu: no exp).
    # Only for forms accurate to a few ulp *relative* to phi0' (so not 1 - tanh^2).
    dphi_from_value: ValueFormula | None = None
    # phi0' from y = phi0(u) alone, right at y = phi0(±inf) and nan too: the backward then
    # reads y and the upstream gradient but not u (softplus: sigmoid(u) = -expm1(-y)).
    dphi_from_y: Formula | None = None


@dataclass(frozen=True)
class Metadata:
    """Facts about an activation, for tables, theory and the report."""

    bounded: bool
    range: tuple[float, float]
    odd: bool
    monotone: bool
    value_at_0: float
    slope_at_0: float
    max_slope: float
    argmax_slope: float
    tail_left: Tail
    tail_right: Tail
    kinks: tuple[float, ...]
    cusps: tuple[float, ...]


def _with_limits(f: Formula, lo: float, hi: float, u: Array, o: Ops) -> Array:
    """``f(u)`` with its limits at ``±inf`` and ``nan`` propagated (also through masks).

    NumPy may warn inside ``f`` at ``±inf`` (``inf/inf``); those entries are replaced by the
    limits, so the warnings are silenced.
    """
    if o is NUMPY:
        with np.errstate(all="ignore"):
            out = f(u, o)
    else:
        out = f(u, o)
    at_lo, at_hi, at_nan = o.limit_masks
    out = o.where(u == -math.inf, lo, out) if at_lo else out
    out = o.where(u == math.inf, hi, out) if at_hi else out
    return o.where(u != u, u, out) if at_nan else out


@dataclass(frozen=True)
class Activation:
    """A registered activation with its parameters; call it on tensors or arrays.

    ``act(x)`` / ``act.phi(x)``, ``act.dphi(x)`` and ``act.d2phi(x)`` accept a torch tensor
    (plain autograd-friendly ops, any dtype/device) or anything NumPy takes (float64);
    ``ops`` overrides the namespace the formulas see (the compiled kernels pass
    :data:`~depthscope.activations.fastmath.KERNEL`).
    ``depthscope.functional`` provides the fused, custom-autograd torch entry points.

    ``phi(x) = gain (phi0(scale x + shift) + offset)``; ``phi'`` and ``phi''`` follow by the
    chain rule (``gain scale phi0'``, ``gain scale^2 phi0''``), each exact in closed form with
    its limits at ``±inf`` (no overflow at ``±1e30``, nan in, nan out).

    Attributes:
        definition: the family's closed forms, limits, tails, kinks, formula and reference.
        params: the family's own parameters (e.g. ``negative_slope``).
        scale, shift, gain, offset: the affine transform around ``phi0``.
        meta: derived facts (range, odd, monotone, value and slope at 0, maximal slope and
            where, tails, kinks, cusps).

    Example:
        >>> from depthscope.activations import get
        >>> softsign = get("softsign")  # x / (1 + |x|)
        >>> float(softsign(1e30)), float(softsign.dphi(-1.0)), softsign.meta.range
        (1.0, 0.25, (-1.0, 1.0))
    """

    definition: Definition
    params: Mapping[str, float] = field(default_factory=dict, hash=False, compare=False)
    scale: float = 1.0
    shift: float = 0.0
    gain: float = 1.0
    offset: float = 0.0

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def is_affine_default(self) -> bool:
        return (self.scale, self.shift, self.gain, self.offset) == (1.0, 0.0, 1.0, 0.0)

    @property
    def label(self) -> str:
        """Name with non-default parameters, e.g. ``tanh(scale=2)``."""
        parts = [f"{k}={v:g}" for k, v in self.params.items()]
        for key, default in (("scale", 1.0), ("shift", 0.0), ("gain", 1.0), ("offset", 0.0)):
            value = getattr(self, key)
            if value != default:
                parts.append(f"{key}={value:g}")
        return f"{self.name}({', '.join(parts)})" if parts else self.name

    def _inner(self, x: Array) -> Array:
        if self.scale == 1.0 and self.shift == 0.0:
            return x
        return x * self.scale + self.shift

    def phi(self, x: Array, ops: Ops | None = None) -> Array:
        """``gain * (phi0(scale x + shift) + offset)``."""
        o = ops or ops_for(x)
        x = _as_float(x, o)
        lo, hi = self.definition.limits[0]
        y = _with_limits(self.definition.phi, lo, hi, self._inner(x), o)
        if self.offset != 0.0:
            y = y + self.offset
        return self._scaled(y, 0)

    def _derivative(self, formula: Formula, order: int, x: Array, ops: Ops | None) -> Array:
        """``gain * scale**order * formula(scale x + shift)``, limits of ``phi0^(order)``."""
        o = ops or ops_for(x)
        x = _as_float(x, o)
        lo, hi = self.definition.limits[order]
        return self._scaled(_with_limits(formula, lo, hi, self._inner(x), o), order)

    def _scaled(self, y: Array, order: int) -> Array:
        """``gain * scale**order * y``: the chain rule through ``scale x + shift``."""
        factor = self.gain * self.scale**order
        return y * factor if factor != 1.0 else y

    def dphi(self, x: Array, ops: Ops | None = None) -> Array:
        """``gain * scale * phi0'(scale x + shift)``."""
        return self._derivative(self.definition.dphi, 1, x, ops)

    @property
    def backward_uses_value(self) -> bool:
        """Whether ``phi'`` is best taken from ``y = phi(x)``: the definition has a
        ``dphi_from_value`` or ``dphi_from_y`` form and no ``offset`` (``y - offset`` would
        cancel)."""
        d = self.definition
        return (d.dphi_from_value or d.dphi_from_y) is not None and self.offset == 0.0

    def dphi_from_value(self, x: Array, y: Array, ops: Ops | None = None) -> Array:
        """``phi'(x)`` given ``y = phi(x)``: ``gain * scale * phi0'(u)``, ``u = scale x + shift``,
        from ``phi0(u) = y / gain`` when :attr:`backward_uses_value`, else :meth:`dphi`."""
        if not self.backward_uses_value:
            return self.dphi(x, ops)
        y0 = y / self.gain if self.gain != 1.0 else y
        from_y = self.definition.dphi_from_y
        if from_y is not None:  # no limits to apply from x: the form is right at y's limits
            o = ops or ops_for(y)
            return self._scaled(from_y(_as_float(y0, o), o), 1)
        from_value = self.definition.dphi_from_value
        return self._derivative(lambda u, o: from_value(u, y0, o), 1, x, ops)

    def d2phi(self, x: Array, ops: Ops | None = None) -> Array:
        """``gain * scale^2 * phi0''(scale x + shift)``."""
        return self._derivative(self.definition.d2phi, 2, x, ops)

    __call__ = phi

    def with_transform(
        self, *, scale: float = 1.0, shift: float = 0.0, gain: float = 1.0, offset: float = 0.0
    ) -> Activation:
        """``x -> gain * (self(scale x + shift) + offset)``, composed into one affine map."""
        return Activation(
            self.definition,
            self.params,
            scale=self.scale * scale,
            shift=self.scale * shift + self.shift,
            gain=self.gain * gain,
            offset=self.offset + offset / self.gain,
        )

    @property
    def kinks(self) -> tuple[float, ...]:
        """Points where ``phi'`` jumps (in this activation's own ``x``)."""
        return tuple(sorted((k - self.shift) / self.scale for k in self.definition.kinks))

    @property
    def cusps(self) -> tuple[float, ...]:
        """Points where ``phi''`` jumps but ``phi'`` is continuous."""
        return tuple(sorted((k - self.shift) / self.scale for k in self.definition.cusps))

    @property
    def breakpoints(self) -> tuple[float, ...]:
        """Every non-smooth point (kinks and cusps): split integrals here."""
        return tuple(sorted(set(self.kinks) | set(self.cusps)))

    @cached_property
    def meta(self) -> Metadata:
        d = self.definition
        lo, hi = _range(self)
        argmax, sup = _argmax_abs_slope(self)
        return Metadata(
            bounded=bool(math.isfinite(lo) and math.isfinite(hi)),
            range=(lo, hi),
            odd=d.odd and self.shift == 0.0 and self.offset == 0.0,
            monotone=d.monotone,
            value_at_0=float(self.phi(np.float64(0.0))) + 0.0,  # no -0.0
            slope_at_0=float(self.dphi(np.float64(0.0))),
            max_slope=sup,
            argmax_slope=argmax,
            tail_left=d.tails[0].scaled(self.scale),
            tail_right=d.tails[1].scaled(self.scale),
            kinks=self.kinks,
            cusps=self.cusps,
        )

    def __repr__(self) -> str:
        return f"Activation({self.label})"

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Rebuilt from the registry by name: the closed-form closures are not picklable.
        affine = (self.scale, self.shift, self.gain, self.offset)
        return _restore, (self.name, dict(self.params), *affine)


def _restore(
    name: str, params: dict[str, float], scale: float, shift: float, gain: float, offset: float
) -> Activation:
    from depthscope.activations.registry import get

    base = get(name, **params)
    return Activation(base.definition, base.params, scale, shift, gain, offset)


#: the grid both searches scan, in units of the inner variable ``scale x + shift``: every
#: registered activation is within 1e-25 of its tails beyond ±60 (e^-60), so a maximum of
#: ``|phi'|`` or an interior extremum of ``phi`` lies inside or is the limit at ±inf
SEARCH_HALF_WIDTH = 60.0
RANGE_GRID_POINTS = 120_001  # step 1e-3: brackets an extremum for Brent's search
SLOPE_GRID_POINTS = 240_001  # step 5e-4: also the snapping distance to 0 or a breakpoint
BRENT_XTOL = 1e-12  # Brent's search tolerance in x for the range's extrema
#: relative margins in |phi'|: a limit at ±inf above the grid's peak by more than this is the
#: sup; a slope within the tolerance of the peak belongs to a flat maximum (relu's 1)
LIMIT_MARGIN = 1e-9
PLATEAU_TOLERANCE = 1e-12
#: a flat maximum starting further than this from 0 (inner variable) is only approached in a
#: tail (softplus's slope 1), so the sup is the limit at ±inf
PLATEAU_NEAR_ZERO = 2.0


def _range(act: Activation) -> tuple[float, float]:
    """``(inf phi, sup phi)``: the limits at ``±inf``, or an interior extremum (gelu, silu)."""
    d = act.definition
    lo, hi = (act.gain * (v + act.offset) for v in d.limits[0])
    if d.monotone:
        return lo, hi
    from scipy.optimize import minimize_scalar

    grid = (np.linspace(-SEARCH_HALF_WIDTH, SEARCH_HALF_WIDTH, RANGE_GRID_POINTS) / act.scale
            - act.shift / act.scale)
    values = act.phi(grid)
    for sign in (1.0, -1.0):  # minimum, then maximum
        best = int(np.argmin(sign * values))
        bounds = (grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)])
        res = minimize_scalar(lambda t, s=sign: s * float(act.phi(np.float64(t))),
                              bounds=bounds, method="bounded", options={"xatol": BRENT_XTOL})
        if sign > 0:
            lo = min(lo, float(res.fun))
        else:
            hi = max(hi, -float(res.fun))
    return lo, hi


def _as_float(x: Array, o: Ops) -> Array:
    if o is NUMPY:
        return np.asarray(x, dtype=np.float64)
    return x if x.is_floating_point() else x.to(_default_float())


def _default_float():
    import torch

    return torch.get_default_dtype()


def _argmax_abs_slope(act: Activation) -> tuple[float, float]:
    """``(x, sup |phi'|)``: where ``|phi'|`` is largest, by a grid refined with Brent search.

    A flat maximum reached near 0 (relu, hard tanh) reports its point closest to 0; one only
    approached in a tail (softplus) reports ``±inf``, and so does a slope still rising at the
    grid's end (the definition's limit at ``±inf`` is larger than anything on the grid: bent
    identity's 1.5, not 1.49993 at x = 60). A result within one grid step of 0 or
    of a breakpoint where ``|phi'|`` (or its one-sided limit) attains the maximum snaps to
    that point, so ``tanh`` reports 0 and ``relu``/``logmin`` their kink 0, not ``1e-13``.
    """
    from scipy.optimize import minimize_scalar

    grid = (np.linspace(-SEARCH_HALF_WIDTH, SEARCH_HALF_WIDTH, SLOPE_GRID_POINTS) / act.scale
            - act.shift / act.scale)
    step = grid[1] - grid[0]
    with np.errstate(all="ignore"):
        slopes = np.abs(act.dphi(grid))
    best = int(np.nanargmax(slopes))
    peak = slopes[best]
    with np.errstate(all="ignore"):
        tails = np.abs(act.dphi(np.array([-math.inf, math.inf])))  # the definition's limits
    if np.nanmax(tails) > peak * (1 + LIMIT_MARGIN):  # still rising at ±60: a limit
        side = int(np.nanargmax(tails))
        return (-math.inf, math.inf)[side], float(tails[side])
    plateau = grid[slopes >= peak * (1 - PLATEAU_TOLERANCE)]
    if plateau.size > 1:
        # A flat maximum: relu and hard tanh attain it near 0; softplus only at infinity.
        inner = float(plateau[np.argmin(np.abs(plateau))])
        if abs(inner * act.scale + act.shift) > PLATEAU_NEAR_ZERO:
            where = math.copysign(math.inf, inner)
            return where, abs(float(act.dphi(np.float64(where))))
        found = inner
    else:
        lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
        res = minimize_scalar(
            lambda t: -abs(float(act.dphi(np.float64(t)))),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": step * LIMIT_MARGIN},
        )
        found = float(res.x) if -res.fun >= peak else float(grid[best])
    value = abs(float(act.dphi(np.float64(found))))
    for point in (-act.shift / act.scale, *act.breakpoints):
        near = (np.nextafter(point, -math.inf), point, np.nextafter(point, math.inf))
        limit = max(abs(float(act.dphi(np.float64(p)))) for p in near)
        if abs(found - point) <= step and limit >= value * (1 - LIMIT_MARGIN):
            return float(point) + 0.0, limit  # + 0.0: no -0.0
    return found, value
