"""``critical_(model)``: every Linear/Conv layer at the edge of chaos of its activation.

For ``h^l = W^l phi(h^{l-1}) + b^l`` the backward factor per layer is
``chi_1 = sigma_w^2 E[phi'(h)^2]`` at the fixed point ``q*`` (Poole et al. 2016; Schoenholz
et al. 2017); ``chi_1 = 1`` keeps gradient norms level with depth. Each layer gets
``W ~ N(0, sigma_w^2/fan_in)`` (or ``sigma_w`` times an orthogonal matrix) with
``sigma_w = theory.critical_sigma_w(phi, sigma_b)`` for the activation on its input (the
first layer: the one after it), and ``b ~ N(0, sigma_b^2)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from depthscope import init
from depthscope.activations import Activation, get
from depthscope.errors import DepthscopeError
from depthscope.fix.detect import activation_of, layer_activations, sigma_of
from depthscope.fix.numeric import numerical_activation

IDENTITY = get("identity")
ActLike = str | Activation | nn.Module | Callable[[torch.Tensor], torch.Tensor]


def resolve(act: ActLike) -> Activation:
    """A registered name, an Activation, an activation module or any elementwise function."""
    if isinstance(act, (str, Activation)):
        return get(act)
    if isinstance(act, nn.Module):
        known = activation_of(act)
        return known if known is not None else numerical_activation(act, type(act).__name__)
    if callable(act):
        return numerical_activation(act, getattr(act, "__name__", "user"))
    raise DepthscopeError(
        f"activation must be a name, an Activation, a module or a function, got {act!r}"
    )


@dataclass(frozen=True)
class LayerInit:
    """What ``critical_`` did to one layer."""

    name: str
    kind: str
    fan_in: int
    activation: str
    source: str  # "input", "output" (first layer), "given" or "none" (identity: sigma_w = 1)
    sigma_w_before: float
    sigma_w: float
    sigma_b: float


@dataclass(frozen=True)
class CriticalReport:
    """The layers ``critical_`` initialised, in execution order."""

    layers: tuple[LayerInit, ...]
    orthogonal: bool

    def __str__(self) -> str:
        rows = [f"{'layer':<24} {'activation':<28} {'sigma_w before':>14} {'after':>8}"]
        rows += [f"{x.name:<24} {x.activation:<28} {x.sigma_w_before:>14.4g} {x.sigma_w:>8.4g}"
                 for x in self.layers]
        return "\n".join(rows)


@torch.no_grad()
def critical_(
    model: nn.Module,
    sigma_b: float = 0.0,
    *,
    orthogonal: bool = False,
    activation: ActLike | None = None,
    generator: torch.Generator | None = None,
) -> CriticalReport:
    """Initialise every Linear/Conv layer of ``model`` at the edge of chaos, in place.

    Args:
        model: any module; activations are detected (registered, torch, or numerical).
        sigma_b: bias standard deviation ``sigma_b`` (Poole et al. 2016).
        orthogonal: ``sigma_w`` times an orthogonal matrix (Pennington et al. 2017).
        activation: use this activation for every layer instead of detecting it.
        generator: random source (default: torch's global one).

    Returns:
        A :class:`CriticalReport` (print it for a table).

    Example:
        >>> net = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))
        >>> critical_(net).layers[1].sigma_w  # tanh at sigma_b = 0: sigma_w = 1
        1.0
    """
    if not isinstance(model, nn.Module):
        raise DepthscopeError(f"critical_() needs a torch.nn.Module, got {type(model).__name__}")
    if not sigma_b >= 0:
        raise DepthscopeError(f"sigma_b must be >= 0, got {sigma_b!r}")
    layers = layer_activations(getattr(model, "_orig_mod", model))
    if not layers:
        raise DepthscopeError(f"{type(model).__name__} has no Linear or Conv layer to initialise")
    given = resolve(activation) if activation is not None else None
    from depthscope.theory import critical_sigma_w

    cache: dict[Activation, float] = {}
    done = []
    for layer in layers:
        step = layer.governing
        act = given or (step.activation if step is not None else None) or IDENTITY
        source = "given" if given else ("none" if step is None else
                                        "input" if step is layer.before else "output")
        if act not in cache:  # identity: chi_1 = sigma_w^2, so sigma_w = 1 (LeCun)
            cache[act] = 1.0 if act is IDENTITY else float(
                critical_sigma_w(act, sigma_b=sigma_b, orthogonal=orthogonal))
        sigma_w = cache[act]
        before = sigma_of(layer.module)[0]
        fill = init.orthogonal_ if orthogonal else init.gaussian_
        fill(layer.module, sigma_w, sigma_b, generator=generator)
        w = layer.module.weight
        done.append(LayerInit(layer.name, type(layer.module).__name__,
                              w.shape[1] * w[0, 0].numel(), act.label, source, before,
                              sigma_w, sigma_b))
    return CriticalReport(tuple(done), orthogonal)
