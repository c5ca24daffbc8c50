"""The activation registry: names, aliases, presets and parameter validation.

``get("tanh", scale=2)`` returns ``tanh(2x)``; every activation accepts the affine parameters
``scale``, ``shift``, ``gain`` and ``offset`` (see :class:`~depthscope.activations.base.Activation`)
plus its own (``leaky_relu(negative_slope)``, ``elu(alpha)``, ``softplus(ramp_beyond)``).
"""

from __future__ import annotations

import difflib
import inspect
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from depthscope.activations.base import Activation, Definition
from depthscope.errors import DepthscopeError

AFFINE = ("scale", "shift", "gain", "offset")


class ActivationError(DepthscopeError):
    """An unknown activation name or an invalid parameter (message says how to fix it).

    Example:
        >>> from depthscope.activations import ActivationError, get
        >>> try:
        ...     get("tanh", slope=2)
        ... except ActivationError as err:
        ...     print(err)
        tanh: unknown parameter(s) slope; allowed: scale, shift, gain, offset
    """


@dataclass(frozen=True)
class Family:
    """A registered name: a factory of :class:`Definition` and its own parameter defaults."""

    name: str
    factory: Callable[..., Definition]
    defaults: Mapping[str, float]
    aliases: tuple[str, ...] = ()
    presets: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


_FAMILIES: dict[str, Family] = {}
_NAMES: dict[str, tuple[str, Mapping[str, float]]] = {}  # any name -> (family, preset params)
# called with each name added (``True``) or removed (``False``) after import: the modules that
# derive from the registry (``depthscope.functional``, ``depthscope.nn``) subscribe
_LISTENERS: list[Callable[[str, bool], None]] = []


def on_change(listener: Callable[[str, bool], None]) -> None:
    """Call ``listener(name, added)`` for every primary name registered (or removed by
    :func:`temporary`) from now on."""
    _LISTENERS.append(listener)


def mirror(namespace: dict[str, object], exported: list[str], make: Callable[[str], object],
           key: Callable[[str], str] = str) -> None:
    """Keep ``namespace`` (a module's ``globals()``) holding ``make(name)`` under
    ``key(name)``, and ``exported`` (its ``__all__``) listing them, for every registered
    name: now, and as names are registered or removed (``depthscope.functional`` and
    ``depthscope.nn`` derive from the registry so)."""

    def follow(name: str, added: bool) -> None:
        entry = key(name)
        if added and entry not in exported:
            namespace[entry] = make(name)
            exported.append(entry)
        elif not added and entry in exported:
            namespace.pop(entry, None)
            exported.remove(entry)

    for name in names():
        follow(name, True)
    on_change(follow)


@contextmanager
def temporary() -> Iterator[None]:
    """Registrations made inside the block are undone at its end (tests, notebooks)."""
    families, known = dict(_FAMILIES), dict(_NAMES)
    before = set(names())
    try:
        yield
    finally:
        added = set(names()) - before
        _FAMILIES.clear()
        _FAMILIES.update(families)
        _NAMES.clear()
        _NAMES.update(known)
        _build.cache_clear()
        for name in sorted(added):
            for listener in _LISTENERS:
                listener(name, False)


def register(
    name: str,
    *,
    aliases: tuple[str, ...] = (),
    presets: Mapping[str, Mapping[str, float]] | None = None,
) -> Callable[[Callable[..., Definition]], Callable[..., Definition]]:
    """Register a factory ``f(**family_params) -> Definition`` under ``name``.

    ``presets`` adds names for fixed parameter sets, e.g. ``lecun_tanh`` = tanh with
    ``scale=2/3, gain=1.7159``.
    """

    def decorate(factory: Callable[..., Definition]) -> Callable[..., Definition]:
        defaults = {
            p.name: p.default for p in inspect.signature(factory).parameters.values()
        }
        family = Family(name, factory, defaults, aliases, dict(presets or {}))
        for key in (name, *aliases, *family.presets):
            if key in _NAMES:
                raise ValueError(f"activation name {key!r} is registered twice")
        _FAMILIES[name] = family
        _NAMES[name] = (name, {})
        for alias in aliases:
            _NAMES[alias] = (name, {})
        for preset, params in family.presets.items():
            _NAMES[preset] = (name, params)
        for key in (name, *family.presets):
            for listener in _LISTENERS:
                listener(key, True)
        return factory

    return decorate


def names(*, include_aliases: bool = False) -> list[str]:
    """Registered activation names: families and presets, sorted (aliases on request).

    Args:
        include_aliases: also list alternative spellings (e.g. ``"swish"`` for ``"silu"``).

    Returns:
        The names :func:`get` accepts; every one has a ``depthscope.functional`` function
        and a ``depthscope.nn`` class.

    Example:
        >>> from depthscope.activations import names
        >>> {"tanh", "logsig", "relu", "lecun_tanh"} <= set(names())
        True
    """
    primary = [n for n, (fam, preset) in _NAMES.items() if n == fam or preset]
    return sorted(_NAMES) if include_aliases else sorted(primary)


def family(name: str) -> Family:
    """The :class:`Family` behind ``name`` (aliases and presets resolve to their family)."""
    return _FAMILIES[_resolve(name)[0]]


def _resolve(name: str) -> tuple[str, Mapping[str, float]]:
    key = name.strip().lower().replace("-", "_")
    if key not in _NAMES:
        close = difflib.get_close_matches(key, list(_NAMES), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ActivationError(
            f"unknown activation {name!r}; {hint + ' ' if hint else ''}"
            f"run `depthscope activations` to list all"
        )
    return _NAMES[key]


def get(name: str | Activation, **params: float) -> Activation:
    """The activation called ``name`` with parameters, e.g. ``get("tanh", scale=2)``.

    Every activation is ``phi(x) = gain (phi0(scale x + shift) + offset)`` with the family's
    own ``phi0``, so the Q&A's ``tanh(n x)`` is ``get("tanh", scale=n)`` and LeCun's
    ``1.7159 tanh(2x/3)`` is ``get("tanh", scale=2/3, gain=1.7159)`` (LeCun et al. 1998).

    Args:
        name: a registered name (see :func:`names`; case and ``-``/``_`` do not matter) or
            an :class:`Activation`, which passes through with ``params`` applied as a
            further transform.
        **params: the family's own parameters (e.g. ``negative_slope`` of ``leaky_relu``)
            and the affine ones ``scale``, ``shift``, ``gain``, ``offset``.

    Returns:
        The :class:`Activation`: ``phi``, ``dphi``, ``d2phi`` on NumPy arrays or torch
        tensors, and ``meta`` (range, slope at 0, maximal slope, tails, kinks).

    Raises:
        ActivationError: an unknown name (with "did you mean") or parameter.

    Example:
        >>> from depthscope.activations import get
        >>> act = get("tanh", scale=2)
        >>> float(act.phi(0.5)), float(act.dphi(0.0)), act.meta.max_slope
        (0.7615941559557649, 2.0, 2.0)
    """
    if isinstance(name, Activation):
        return name.with_transform(**_affine(params, name.label)) if params else name
    fam_name, preset = _resolve(name)
    fam = _FAMILIES[fam_name]
    merged = {**preset, **params}
    unknown = sorted(set(merged) - set(fam.defaults) - set(AFFINE))
    if unknown:
        allowed = ", ".join([*fam.defaults, *AFFINE])
        raise ActivationError(
            f"{name}: unknown parameter(s) {', '.join(unknown)}; allowed: {allowed}"
        )
    own = {k: _number(name, k, v) for k, v in merged.items() if k in fam.defaults}
    return _build(fam_name, tuple(sorted(own.items())), **_affine(merged, name))


@lru_cache(maxsize=512)
def _definition(fam_name: str, own: tuple[tuple[str, float], ...]) -> Definition:
    """One :class:`Definition` per family and own parameters, shared by all transforms (so
    ``get("tanh", scale=2) == get("tanh").with_transform(scale=2)``)."""
    try:
        return _FAMILIES[fam_name].factory(**dict(own))
    except ValueError as err:
        raise ActivationError(f"{fam_name}: {err}") from None


@lru_cache(maxsize=512)
def _build(fam_name: str, own: tuple[tuple[str, float], ...], **affine: float) -> Activation:
    return Activation(_definition(fam_name, own), dict(own), **affine)


def _number(name: str, key: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ActivationError(f"{name}: {key} must be a number, got {value!r}") from None
    if math.isnan(number):
        raise ActivationError(f"{name}: {key} must be a number, got nan")
    return number


def _affine(params: Mapping[str, float], name: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for key in AFFINE:
        if key not in params:
            continue
        value = _number(name, key, params[key])
        if not math.isfinite(value):
            raise ActivationError(f"{name}: {key} must be finite, got {value}")
        if key in ("scale", "gain") and value <= 0:
            raise ActivationError(
                f"{name}: {key} must be > 0, got {value:g} (e.g. {key}=2 for tanh(2x))"
            )
        out[key] = value
    return out
