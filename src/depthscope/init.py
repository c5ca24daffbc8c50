"""torch.nn.init-style in-place initialisers for weights ``[out, in]`` (``fan_in = in``).

Each ``<name>_(obj, ...)`` takes a weight tensor, an ``nn.Linear`` or any module (every
submodule with a weight of dimension ≥ 2, in order) and returns ``obj``. Biases get
``N(0, sigma_b^2)`` (zero by default) except in :func:`pytorch_default_`. Scales as standard
deviations ``sigma_w``: ``Var[W_ij] = sigma_w^2 / fan_in`` (Poole et al. 2016).

======================  =====================================  ==========================
name                    weights                                sigma_w^2 (square layer)
======================  =====================================  ==========================
pytorch_default_        U[-1/√n, 1/√n] (kaiming_uniform a=√5)  1/3, bias U[-1/√n, 1/√n]
glorot_standard_        U[-1/√n, 1/√n] (Glorot & Bengio eq. 1) 1/3
glorot_normalized_      U[±√6/√(n_in+n_out)] (Xavier)          2 n_in/(n_in+n_out) = 1
he_                     N(0, 2/n) (He et al. 2015)             2
lecun_                  N(0, 1/n) (LeCun et al. 1998)          1
gaussian_               N(0, sigma_w^2/n)                      sigma_w^2
orthogonal_             sigma_w·Q, Q orthogonal (Saxe 2014)    sigma_w^2
critical_gaussian_      gaussian_ at the edge of chaos         critical_sigma_w(act, sigma_b)^2
critical_orthogonal_    orthogonal_ at the edge of chaos       critical_sigma_w(act, sigma_b)^2
lsuv_                   orthogonal, then rescaled per layer    data-dependent
======================  =====================================  ==========================

The generic edge-of-chaos fix for any model, ``critical_``, lives in :mod:`depthscope.fix`.

torch's own names work too: ``xavier_uniform_``, ``xavier_normal_``, ``kaiming_uniform_``,
``kaiming_normal_``, ``trunc_normal_``, ``normal_``, ``uniform_``, ``constant_``, ``zeros_``,
``ones_``, ``eye_``, ``dirac_`` and ``sparse_`` are ``torch.nn.init``'s functions, with the
same arguments and the same draws for the same generator; on a module they initialise every
weight of dimension ≥ 2 (biases untouched) and return the module. ``orthogonal_`` keeps this
module's convention, ``E[W_ij^2] = sigma_w^2/fan_in`` for any shape: on a square weight it
equals ``torch.nn.init.orthogonal_(w, gain=sigma_w)``; a wide one gets ``sqrt(fan_out/fan_in)``
more.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Sequence
from typing import TypeVar

import torch
from torch import nn

from depthscope.activations import Activation, get
from depthscope.errors import DepthscopeError

T = TypeVar("T", torch.Tensor, nn.Module)
Generator = torch.Generator | None

TORCH_NAMES = ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
               "trunc_normal_", "normal_", "uniform_", "constant_", "zeros_", "ones_", "eye_",
               "dirac_", "sparse_")
# spec names torch users reach for, and the init of this module with the same variance
SPEC_EQUIVALENTS = {"xavier_uniform": "glorot_normalized", "xavier_normal": "glorot_normalized",
                    "kaiming_normal": "he", "kaiming_uniform": "he", "lecun_normal": "lecun",
                    "normal": "gaussian", "default": "pytorch_default"}

__all__ = [
    *TORCH_NAMES,
    "by_name_",
    "critical_",
    "critical_gaussian_",
    "critical_orthogonal_",
    "delta_orthogonal_",
    "gaussian_",
    "glorot_normalized_",
    "glorot_standard_",
    "he_",
    "lecun_",
    "lsuv_",
    "nominal_sigma_w",
    "orthogonal_",
    "pytorch_default_",
]


def _layers(obj: torch.Tensor | nn.Module) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
    """(weight, bias) pairs: a tensor alone, or every weight of dim ≥ 2 in a module."""
    if isinstance(obj, torch.Tensor):
        yield obj, None
        return
    found = False
    for module in obj.modules():
        weight = getattr(module, "weight", None)
        if isinstance(weight, torch.Tensor) and weight.dim() >= 2:
            found = True
            yield weight, getattr(module, "bias", None)
    if not found:
        raise DepthscopeError(f"{type(obj).__name__} has no weight matrices to initialise")


def _fans(w: torch.Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a ``[out, in, *kernel]`` weight."""
    receptive = w[0, 0].numel()
    return w.shape[1] * receptive, w.shape[0] * receptive


def _bias_(b: torch.Tensor | None, sigma_b: float, g: Generator) -> None:
    if b is None:
        return
    if sigma_b == 0:
        b.zero_()
    else:
        b.normal_(0.0, sigma_b, generator=g)


@torch.no_grad()
def pytorch_default_(obj: T, *, generator: Generator = None) -> T:
    """``nn.Linear``'s own init: ``W, b ~ U[-1/√fan_in, 1/√fan_in]`` (``sigma_w^2 = 1/3``)."""
    for w, b in _layers(obj):
        nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=generator)
        if b is not None:
            bound = 1 / math.sqrt(_fans(w)[0])
            b.uniform_(-bound, bound, generator=generator)
    return obj


def _uniform_(obj: T, bound_of: object, sigma_b: float, g: Generator) -> T:
    for w, b in _layers(obj):
        bound = bound_of(*_fans(w))  # type: ignore[operator]
        w.uniform_(-bound, bound, generator=g)
        _bias_(b, sigma_b, g)
    return obj


@torch.no_grad()
def glorot_standard_(obj: T, *, sigma_b: float = 0.0, generator: Generator = None) -> T:
    """Glorot & Bengio's "standard" init ``U[-1/√n, 1/√n]``, n = fan_in (``n·Var = 1/3``)."""
    return _uniform_(obj, lambda fi, fo: 1 / math.sqrt(fi), sigma_b, generator)


@torch.no_grad()
def glorot_normalized_(obj: T, *, sigma_b: float = 0.0, generator: Generator = None) -> T:
    """Glorot & Bengio's "normalised" (Xavier) init ``U[±√6/√(n_in + n_out)]``."""
    return _uniform_(obj, lambda fi, fo: math.sqrt(6 / (fi + fo)), sigma_b, generator)


@torch.no_grad()
def gaussian_(
    obj: T, sigma_w: float = 1.0, sigma_b: float = 0.0, *, generator: Generator = None
) -> T:
    """``W_ij ~ N(0, sigma_w^2/fan_in)``, ``b_i ~ N(0, sigma_b^2)`` (Poole et al. 2016)."""
    for w, b in _layers(obj):
        w.normal_(0.0, sigma_w / math.sqrt(_fans(w)[0]), generator=generator)
        _bias_(b, sigma_b, generator)
    return obj


def he_(obj: T, *, sigma_b: float = 0.0, generator: Generator = None) -> T:
    """He et al. (2015): ``N(0, 2/fan_in)``, the ReLU-preserving variance."""
    return gaussian_(obj, math.sqrt(2.0), sigma_b, generator=generator)


def lecun_(obj: T, *, sigma_b: float = 0.0, generator: Generator = None) -> T:
    """LeCun et al. (1998): ``N(0, 1/fan_in)``."""
    return gaussian_(obj, 1.0, sigma_b, generator=generator)


@torch.no_grad()
def orthogonal_(
    obj: T, sigma_w: float = 1.0, sigma_b: float = 0.0, *, generator: Generator = None
) -> T:
    """``W = sigma_w · sqrt(max(1, fan_out/fan_in)) · Q``, Q with orthonormal rows or columns.

    The factor makes ``E[W_ij^2] = sigma_w^2/fan_in`` for any shape, as for :func:`gaussian_`,
    so both follow the same mean-field length map (Saxe et al. 2014; Pennington et al. 2017).
    """
    for w, b in _layers(obj):
        fan_in, fan_out = _fans(w)
        nn.init.orthogonal_(w, gain=sigma_w * math.sqrt(max(1.0, fan_out / fan_in)),
                            generator=generator)
        _bias_(b, sigma_b, generator)
    return obj


@torch.no_grad()
def delta_orthogonal_(
    obj: T, sigma_w: float = 1.0, sigma_b: float = 0.0, *, generator: Generator = None
) -> T:
    """Convolutions: every tap zero but the centre, which is ``sigma_w · sqrt(max(1,
    out/in)) · Q`` (out x in, Q with orthonormal rows or columns: Xiao et al. 2018's delta
    orthogonal; DKS's "scaled uniform orthogonal" with delta, Martens et al. 2021); dense
    layers as :func:`orthogonal_`. Needs odd kernel sizes."""
    for w, b in _layers(obj):
        if w.dim() == 2:
            orthogonal_(w, sigma_w, generator=generator)
            _bias_(b, sigma_b, generator)
            continue
        if any(k % 2 == 0 for k in w.shape[2:]):
            raise DepthscopeError(f"delta orthogonal needs odd kernel sizes, got "
                                  f"{tuple(w.shape[2:])}")
        out_c, in_c = w.shape[:2]
        centre = torch.empty(out_c, in_c, dtype=w.dtype, device=w.device)
        nn.init.orthogonal_(centre, gain=sigma_w * math.sqrt(max(1.0, out_c / in_c)),
                            generator=generator)
        with torch.no_grad():
            w.zero_()
            w[(slice(None), slice(None), *(k // 2 for k in w.shape[2:]))] = centre
        _bias_(b, sigma_b, generator)
    return obj


def _critical_sigma_w(activation: str | Activation, sigma_b: float) -> float:
    from depthscope.theory import critical_sigma_w

    return float(critical_sigma_w(get(activation), sigma_b))


def critical_gaussian_(
    obj: T, activation: str | Activation, sigma_b: float = 0.0, *, generator: Generator = None
) -> T:
    """:func:`gaussian_` with ``sigma_w = theory.critical_sigma_w(act, sigma_b)`` (chi_1 = 1)."""
    sigma_w = _critical_sigma_w(activation, sigma_b)
    return gaussian_(obj, sigma_w, sigma_b, generator=generator)


def critical_orthogonal_(
    obj: T, activation: str | Activation, sigma_b: float = 0.0, *, generator: Generator = None
) -> T:
    """:func:`orthogonal_` at the edge of chaos (Pennington et al. 2017)."""
    sigma_w = _critical_sigma_w(activation, sigma_b)
    return orthogonal_(obj, sigma_w, sigma_b, generator=generator)


@torch.no_grad()
def lsuv_(
    module: nn.Module,
    x: torch.Tensor,
    *,
    tol: float = 0.1,
    max_iter: int = 10,
    generator: Generator = None,
) -> nn.Module:
    """Layer-sequential unit variance (Mishkin & Matas 2016, Algorithm 1).

    Orthogonal init with zero biases, then for each layer in order: divide ``W`` by
    ``sqrt(Var[output])`` measured on the batch ``x`` until ``|Var - 1| < tol``.
    """
    orthogonal_(module, generator=generator)
    for weight, _ in _layers(module):
        owner = next(m for m in module.modules() if getattr(m, "weight", None) is weight)
        seen: list[torch.Tensor] = []
        hook = owner.register_forward_hook(lambda m, i, out, seen=seen: seen.append(out))
        try:
            for _ in range(max_iter):
                seen.clear()
                module(x)
                var = float(seen[0].var())
                if not math.isfinite(var) or var == 0 or abs(var - 1) < tol:
                    break
                weight.div_(math.sqrt(var))
        finally:
            hook.remove()
    return module


def nominal_sigma_w(
    name: str, *, activation: str | Activation | None = None, sigma_b: float = 0.0,
    sigma_w: float | None = None,
) -> float | None:
    """The ``sigma_w`` an init gives a square layer (None for data-dependent LSUV)."""
    fixed = {"pytorch_default": 1 / math.sqrt(3), "glorot_standard": 1 / math.sqrt(3),
             "glorot_normalized": 1.0, "he": math.sqrt(2), "lecun": 1.0}
    if name in fixed:
        return fixed[name]
    if name in ("gaussian", "orthogonal"):
        return 1.0 if sigma_w is None else sigma_w
    if name in ("critical", "critical_orthogonal"):
        if activation is None:
            raise DepthscopeError(f"init {name!r} needs the activation")
        return _critical_sigma_w(activation, sigma_b)
    if name == "lsuv":
        return None
    raise DepthscopeError(f"unknown init {name!r}; see depthscope.init")


def init_hint(name: str, known: Sequence[str]) -> str:
    """"did you mean ...?" for an unknown init name: this module's name with the same
    variance for a torch name (``xavier_uniform`` → ``glorot_normalized``), else the closest
    of ``known``; empty when nothing is close."""
    key = name.removesuffix("_")
    if key in SPEC_EQUIVALENTS:
        return f"did you mean '{SPEC_EQUIVALENTS[key]}' (the same variance as torch's {key})?"
    close = difflib.get_close_matches(key, known, n=1)
    return f"did you mean '{close[0]}'?" if close else ""


SCALED = ("gaussian", "orthogonal")  # the inits that take sigma_w


def by_name_(
    module: nn.Module,
    name: str,
    *,
    sigma_w: float | None = None,
    sigma_b: float = 0.0,
    activation: str | Activation | None = None,
    data: torch.Tensor | None = None,
    generator: Generator = None,
) -> nn.Module:
    """Apply the init called ``name`` (an ``MLPSpec.init``) to every layer of ``module``.

    ``sigma_w`` is only meaningful for ``gaussian`` and ``orthogonal``; the critical inits
    take it from theory, the others fix their own. ``lsuv`` uses ``data`` (default: a seeded
    N(0, 1) batch of 256, the right scale for standardised inputs).
    """
    if sigma_w is not None and name not in SCALED:
        raise DepthscopeError(
            f"init {name!r} fixes its own scale; sigma_w={sigma_w:g} applies only to "
            f"{' and '.join(SCALED)} (or leave sigma_w unset)"
        )
    g = generator
    if name == "pytorch_default":
        return pytorch_default_(module, generator=g)
    if name in ("gaussian", "orthogonal"):
        fn = gaussian_ if name == "gaussian" else orthogonal_
        return fn(module, 1.0 if sigma_w is None else sigma_w, sigma_b, generator=g)
    if name in ("critical", "critical_orthogonal"):
        fn = critical_gaussian_ if name == "critical" else critical_orthogonal_
        if activation is None:
            raise DepthscopeError(f"init {name!r} needs the activation")
        return fn(module, activation, sigma_b, generator=g)
    if name == "lsuv":
        if data is None:
            first = next(_layers(module))[0]
            data = torch.randn(256, first.shape[1], generator=g, dtype=first.dtype,
                               device=first.device)
        return lsuv_(module, data, generator=g)
    simple = {"glorot_standard": glorot_standard_, "glorot_normalized": glorot_normalized_,
              "he": he_, "lecun": lecun_}
    if name not in simple:
        hint = init_hint(name, [*simple, "pytorch_default", *SCALED, "critical",
                                "critical_orthogonal", "lsuv"])
        raise DepthscopeError(f"unknown init {name!r}; {hint or 'see depthscope.init'}")
    return simple[name](module, sigma_b=sigma_b, generator=g)


def _torch_alias(name: str) -> object:
    """``torch.nn.init.<name>`` on a tensor, or on every weight (dim ≥ 2) of a module."""
    torch_fn = getattr(nn.init, name)

    @torch.no_grad()
    def alias(obj: T, *args: object, **kwargs: object) -> T:
        if isinstance(obj, torch.Tensor):
            torch_fn(obj, *args, **kwargs)
            return obj
        for w, _ in _layers(obj):
            torch_fn(w, *args, **kwargs)
        return obj

    alias.__name__ = alias.__qualname__ = name
    alias.__doc__ = (f"``torch.nn.init.{name}`` (same arguments and draws) on a tensor, or on "
                     "every weight of dimension ≥ 2 of a module (biases untouched); returns "
                     "``obj``.")
    return alias


for _name in TORCH_NAMES:
    globals()[_name] = _torch_alias(_name)
del _name


def critical_(model: nn.Module, sigma_b: float = 0.0, **options: object) -> object:
    """Every Linear/Conv layer of ``model`` at the edge of chaos of its own activation, in
    place: :func:`depthscope.fix.critical_` under torch's ``init.*_`` naming (same arguments,
    same return: the model, or its report with ``return_report=True``). ``fix`` builds on
    this module, so it is imported when called."""
    from depthscope.fix.critical import critical_ as place

    return place(model, sigma_b, **options)
